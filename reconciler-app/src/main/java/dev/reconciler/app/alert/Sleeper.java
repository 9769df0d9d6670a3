package dev.reconciler.app.alert;

import java.time.Duration;

/**
 * How a sink's thread waits between delivery attempts. The real one sleeps; tests inject one that moves a manual
 * clock, so that an hour of a failing receiver takes milliseconds.
 */
@FunctionalInterface
interface Sleeper {
    Sleeper REAL = d -> Thread.sleep(Math.max(1, d.toMillis()));

    void sleep(Duration d) throws InterruptedException;
}
