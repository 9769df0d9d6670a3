package dev.reconciler.app.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "version", mixinStandardHelpOptions = true, description = "Prints the reconciler's version.",
        footerHeading = "%nExample:%n", footer = {"  reconciler version"})
final class VersionCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getOut().println("reconciler " + dev.reconciler.app.Version.get() + " (Java " + System.getProperty("java.version") + ")");
        return Main.OK;
    }
}
