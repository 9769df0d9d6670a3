package dev.reconciler.app.console;

import dev.reconciler.app.TempDirs;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.FluentWait;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.logging.Level;

/**
 * Headless Chromium driven by its chromedriver, both from the Debian packages {@code chromium} and
 * {@code chromium-driver} (scripts/test.sh installs them): never a browser or driver downloaded at run time (Selenium
 * Manager is not used: the driver's path is given). Its own profile in a temp dir, no background networking, so the
 * page's only traffic is to the reconciler on loopback.
 */
final class Browser implements AutoCloseable {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    final ChromeDriver driver;
    private final ChromeDriverService service;
    private final Path profile;

    Browser(int width, int height) throws IOException {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            throw new IllegalStateException("the browser tests need " + CHROMIUM + " and " + CHROMEDRIVER
                    + ": apt-get install chromium chromium-driver (scripts/test.sh does it)");
        }
        profile = Files.createTempDirectory("reconciler-chromium-");
        service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort()
                .withLogOutput(java.io.OutputStream.nullOutputStream()).build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-extensions", "--disable-sync", "--no-first-run",
                "--disable-component-update", "--hide-scrollbars", "--lang=en-US",
                "--window-size=" + width + "," + height, "--user-data-dir=" + profile);
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(20));
    }

    /** Loads the page afresh (as opening a link does), also when only the hash differs from the current one. */
    void open(String url) {
        driver.get("about:blank");
        driver.get(url);
    }

    /** Waits (polling, up to 30 s) until the function returns a non-null, non-false value, and returns it. */
    <T> T await(String what, Function<ChromeDriver, T> until) {
        return new FluentWait<>(driver).withTimeout(Duration.ofSeconds(30)).pollingEvery(Duration.ofMillis(100))
                .ignoring(org.openqa.selenium.NoSuchElementException.class)
                .ignoring(org.openqa.selenium.StaleElementReferenceException.class)
                .withMessage(what).until(until::apply);
    }

    WebElement find(String css) {
        return driver.findElement(By.cssSelector(css));
    }

    List<WebElement> all(String css) {
        return driver.findElements(By.cssSelector(css));
    }

    /** The text of the first element matching {@code css}, or "" when there is none yet. */
    String text(String css) {
        List<WebElement> e = all(css);
        return e.isEmpty() ? "" : e.get(0).getText();
    }

    Object js(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    void size(int width, int height) {
        driver.manage().window().setSize(new Dimension(width, height));
    }

    /** Emulates the system's colour scheme ({@code dark} or {@code light}) through the DevTools protocol. */
    void colorScheme(String scheme) {
        driver.executeCdpCommand("Emulation.setEmulatedMedia",
                Map.of("features", List.of(Map.of("name", "prefers-color-scheme", "value", scheme))));
    }

    void screenshot(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        File f = driver.getScreenshotAs(OutputType.FILE);
        Files.copy(f.toPath(), file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** The page's console errors so far (a CSP violation, a script error, a failed request). */
    List<String> consoleErrors() {
        List<String> out = new ArrayList<>();
        for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
            if (e.getLevel().intValue() >= Level.SEVERE.intValue()) out.add(e.getMessage());
        }
        return out;
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            service.stop();
            TempDirs.delete(profile);
        }
    }
}
