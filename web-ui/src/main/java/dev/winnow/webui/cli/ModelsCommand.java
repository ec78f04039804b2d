package dev.winnow.webui.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code winnow models ...}: model files. Each verb is its own class in this package, listed in {@code subcommands}.
 */
@Command(
        name = "models",
        mixinStandardHelpOptions = true,
        description = "Model files: inspect GGUF files, write synthetic models, fuzz the GGUF reader.",
        subcommands = {
            ModelsInspectCommand.class,
            ModelsFuzzCommand.class,
            ModelsSynthCommand.class,
            ModelsConvertOnnxCommand.class,
            ModelsListCommand.class,
            ModelsPullCommand.class,
        })
public final class ModelsCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
