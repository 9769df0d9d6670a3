package dev.reconciler.app;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/** How the app's components stop their threads. */
public final class Threads {
    private Threads() {
    }

    /**
     * Lets the task in progress finish for up to {@code grace}, then interrupts what is left. Keeps the caller's
     * interrupt status.
     */
    public static void stop(ExecutorService executor, Duration grace) {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) executor.shutdownNow();
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
