package dev.reconciler.app.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.concurrent.CountDownLatch;

/**
 * {@code reconciler}: the command line. Exit codes (docs/cli.md): 0 success, 1 the configuration or a database
 * check has problems, 2 wrong usage, 3 the reconciler could not start or failed while running.
 */
@Command(name = "reconciler", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Reconciles two data flows (orders and inventory) from their databases' binlogs in real time.",
        subcommands = {RunCommand.class, ValidateCommand.class, ResyncCommand.class, VerifyCommand.class, DemoCommand.class, TrafficCommand.class,
                ConnectConfigCommand.class,
                VersionCommand.class, CommandLine.HelpCommand.class},
        footerHeading = "%nExamples:%n",
        footer = {"  reconciler demo                                  # see it work on two private MariaDB servers",
                "  reconciler validate --config reconciler.yml --connect",
                "  reconciler run --config reconciler.yml",
                "  reconciler verify --config reconciler.yml --rule sale --since 6h",
                "",
                "Exit codes: 0 success, 1 configuration or database problems, 2 usage error, 3 start-up or run-time failure,",
                "4 verify found differences,",
                "130/143 stopped by Ctrl-C/SIGTERM (after a clean shutdown)."})
public final class Main implements Runnable {
    public static final int OK = 0;
    public static final int PROBLEMS = 1;
    public static final int USAGE = 2;
    public static final int FAILED = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command: run, validate, resync, demo or version");
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs a command line and returns its exit code (tests call this). */
    public static int execute(String... args) {
        quietJavaUtilLogging();
        return commandLine().execute(args);
    }

    /** The command line with its exit codes: usage errors 2, failures 3. */
    /**
     * Blocks until the JVM is asked to stop (Ctrl-C, SIGTERM), runs {@code onSignal} in the shutdown hook
     * {@code threadName}, and returns {@link #OK} once it finished; for commands that run until stopped.
     */
    static int untilSignal(String threadName, Runnable onSignal) throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            onSignal.run();
            stopped.countDown();
        }, threadName));
        stopped.await();
        return OK;
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExitCodeExceptionMapper(e -> e instanceof CommandLine.ParameterException ? USAGE : FAILED);
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof CommandLine.ParameterException pe) {
                commandLine.getErr().println(pe.getMessage());
                pe.getCommandLine().usage(commandLine.getErr());
                return USAGE;
            }
            commandLine.getErr().println("reconciler: " + e.getMessage());
            return FAILED;
        });
        return cl;
    }

    /**
     * The binlog client logs through java.util.logging at INFO (every connect); like Debezium's own loggers, only its
     * warnings are worth a line, and they go through logback like every other line.
     */
    static void quietJavaUtilLogging() {
        // through SLF4J, so that its lines are in the process's log format (JSON lines included)
        dev.reconciler.app.logging.JavaUtilLoggingBridge.install(java.util.logging.Level.WARNING);
        // The binlog client logs its keep-alive reconnects here, every 5 s, outside our log format; the source reports
        // the connection's state itself, once per change (docs/operations.md).
        BINLOG_CLIENT_LOGGER.setLevel(java.util.logging.Level.OFF);
    }

    /** Held: java.util.logging keeps loggers weakly, and a collected one forgets its level. */
    private static final java.util.logging.Logger BINLOG_CLIENT_LOGGER =
            java.util.logging.Logger.getLogger("com.github.shyiko.mysql.binlog");

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"reconciler " + dev.reconciler.app.Version.get()};
        }
    }
}
