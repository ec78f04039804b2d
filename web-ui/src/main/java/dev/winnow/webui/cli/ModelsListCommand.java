package dev.winnow.webui.cli;

import dev.winnow.models.catalog.CatalogEntry;
import dev.winnow.models.catalog.ModelCatalog;
import dev.winnow.models.catalog.ModelPuller;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code winnow models list}: the catalog of recommended models, and which are already in the model directory. */
@Command(
        name = "list",
        mixinStandardHelpOptions = true,
        description =
                "List the recommended models (role, size, licence, source) and mark those already in $WINNOW_HOME/models.")
public final class ModelsListCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        ModelPuller puller = ModelPuller.fromEnvironment();
        String fmt = "%-30s %-9s %-28s %-11s %-8s %s%n";
        out.printf(fmt, "NAME", "ROLE", "SIZE", "LICENCE", "PRESENT", "SOURCE");
        for (CatalogEntry e : ModelCatalog.builtIn().entries()) {
            out.printf(
                    fmt,
                    e.name(),
                    e.role().name().toLowerCase(Locale.ROOT),
                    e.approxSize(),
                    e.licence(),
                    Files.isRegularFile(puller.target(e)) ? "yes" : "-",
                    e.maven() != null ? "Maven Central (convert-onnx --from-maven " + e.maven() + ")" : e.url());
        }
        out.println("Models without a catalog sha256 need 'winnow models pull NAME --allow-unverified'.");
        out.flush();
        return 0;
    }
}
