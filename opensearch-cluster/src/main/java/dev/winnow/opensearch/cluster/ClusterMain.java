package dev.winnow.opensearch.cluster;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.opensearch.Version;
import org.opensearch.analysis.common.CommonAnalysisModulePlugin;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.http.HttpServerTransport;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.PluginInfo;
import org.opensearch.transport.Netty4ModulePlugin;
import org.opensearch.transport.TransportService;

/**
 * Starts an OpenSearch cluster of N nodes in this JVM, all on 127.0.0.1 with ephemeral ports, each with its own home
 * and data folder under the given directory. Prints one line {@code HTTP host:port} per node, then {@code STARTED}, and
 * stops the nodes when standard input ends (so the cluster dies with the process that started it).
 *
 * <p>Usage: {@code ClusterMain <home directory> <number of nodes>}. The nodes carry the analysis-common plugin (the
 * stemmer, stop and possessive filters) and the netty4 transport/HTTP, loaded from the class path.
 */
public final class ClusterMain {

    private ClusterMain() {}

    /** A node whose plugins come from the class path rather than a plugins folder. */
    private static final class ClasspathNode extends Node {
        ClasspathNode(Environment env) {
            super(env, List.of(info(CommonAnalysisModulePlugin.class), info(Netty4ModulePlugin.class)), true);
        }

        private static PluginInfo info(Class<?> plugin) {
            return new PluginInfo(
                    plugin.getName(),
                    "classpath plugin",
                    "NA",
                    Version.CURRENT,
                    "21",
                    plugin.getName(),
                    null,
                    List.of(),
                    false);
        }
    }

    /**
     * Starts the cluster and waits for the end of standard input.
     *
     * @param args the home directory and the number of nodes
     * @throws Exception when the arguments are wrong
     */
    public static void main(String[] args) throws Exception {
        try {
            run(args);
        } catch (Exception | Error e) {
            // a node that started keeps non-daemon threads: exit, so that the parent sees the failure at once
            e.printStackTrace();
            System.exit(1);
        }
        System.exit(0);
    }

    private static void run(String[] args) throws Exception {
        if (args.length != 2) {
            throw new IllegalArgumentException("usage: ClusterMain <home directory> <number of nodes>");
        }
        Path home = Path.of(args[0]);
        int n = Integer.parseInt(args[1]);
        if (n < 1) {
            throw new IllegalArgumentException("number of nodes must be at least 1, got " + n);
        }
        List<Node> nodes = new ArrayList<>();
        String seed = null;
        for (int i = 0; i < n; i++) {
            String name = "node-" + i;
            Settings.Builder s = Settings.builder()
                    .put("cluster.name", "winnow-test")
                    .put("node.name", name)
                    .put("path.home", home.resolve(name).toString())
                    .put("network.host", "127.0.0.1")
                    .put("transport.port", "0")
                    .put("http.port", "0")
                    .put("transport.type", "netty4")
                    .put("http.type", "netty4")
                    .put("cluster.routing.allocation.disk.threshold_enabled", false)
                    .put("cluster.initial_cluster_manager_nodes", "node-0");
            if (seed != null) {
                s.put("discovery.seed_hosts", seed);
            }
            Node node = new ClasspathNode(
                    InternalSettingsPreparer.prepareEnvironment(s.build(), Map.of(), null, () -> name));
            node.start();
            nodes.add(node);
            if (seed == null) {
                seed = node.injector()
                        .getInstance(TransportService.class)
                        .boundAddress()
                        .publishAddress()
                        .toString();
            }
            System.out.println("HTTP "
                    + node.injector()
                            .getInstance(HttpServerTransport.class)
                            .boundAddress()
                            .publishAddress());
        }
        System.out.println("STARTED");
        System.out.flush();
        while (System.in.read() >= 0) {
            // wait for the parent to close our standard input (or die)
        }
        for (Node node : nodes) {
            try {
                node.close();
            } catch (IOException e) {
                System.err.println("closing " + node + ": " + e);
            }
        }
    }
}
