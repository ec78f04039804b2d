/**
 * JavaScript and Python scripts over Winnow's API in sandboxed GraalVM contexts (see docs/modules/scripting.md).
 * API: {@code dev.winnow.scripting} and the host objects scripts see ({@code host}, which
 * {@link dev.winnow.scripting.ScriptSession#winnow()} hands to Java callers too); the engine and the sandbox's file
 * systems are internal.
 */
module dev.winnow.scripting {
    requires transitive dev.winnow.ranking;
    requires org.graalvm.polyglot;
    requires org.slf4j;
    requires com.fasterxml.jackson.databind;

    exports dev.winnow.scripting;
    // the objects guest code calls; GraalVM's host interop reaches their @HostAccess.Export members through the export
    exports dev.winnow.scripting.host;
}
