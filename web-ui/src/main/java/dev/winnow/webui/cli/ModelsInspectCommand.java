package dev.winnow.webui.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.winnow.models.gguf.GgufFile;
import dev.winnow.models.gguf.inspect.GgufInspector;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code winnow models inspect FILE [--json]}: validates a GGUF file and prints its metadata and tensor table.
 */
@Command(
        name = "inspect",
        mixinStandardHelpOptions = true,
        description = "Validate a GGUF file and print its metadata (key, type, value) and tensors (name, type, shape, "
                + "offset, bytes); --deep also names every tensor holding NaN or infinite values.")
public final class ModelsInspectCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "the GGUF file")
    Path file;

    @Option(names = "--json", description = "print JSON instead of tables")
    boolean json;

    @Option(
            names = "--deep",
            description =
                    "also scan every tensor's values for NaN and infinities (reads the whole "
                            + "file; F32, F16, BF16, F64, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 and integer types); exits 2 when some are found")
    boolean deep;

    @Option(
            names = "--array-limit",
            paramLabel = "N",
            defaultValue = "16",
            description = "show at most N elements of each array, 0 for all (default ${DEFAULT-VALUE})")
    int arrayLimit;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(file)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "no such file: " + file);
        }
        if (arrayLimit < 0) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--array-limit must be 0 or more, got " + arrayLimit);
        }
        GgufInspector inspector = new GgufInspector(arrayLimit);
        PrintWriter out = spec.commandLine().getOut();
        try (GgufFile f = GgufFile.open(file)) {
            GgufInspector.DeepScan scan = deep ? GgufInspector.deepScan(f) : null;
            if (json) {
                ObjectNode root = inspector.json(f, file.toString());
                if (scan != null) {
                    GgufInspector.addDeepScan(root, scan);
                }
                out.println(GgufInspector.toJsonText(root));
                out.flush();
            } else {
                inspector.printText(f, file.toString(), out);
                if (scan != null) {
                    GgufInspector.printDeepScan(scan, out);
                }
            }
            return scan != null && !scan.nonFinite().isEmpty() ? 2 : 0;
        }
    }
}
