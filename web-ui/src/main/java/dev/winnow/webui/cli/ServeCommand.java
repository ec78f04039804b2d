package dev.winnow.webui.cli;

import dev.winnow.webui.serve.ApiServer;
import dev.winnow.webui.serve.ModelSpec;
import dev.winnow.webui.serve.ServedModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code winnow serve --model NAME=SPEC ...}: an HTTP API for embeddings (OpenAI's {@code /v1/embeddings}) and
 * re-ranking (Cohere's, Jina's and llama.cpp's {@code /v1/rerank}) over the models named; prints its URL and bearer
 * token, runs until Ctrl-C or SIGTERM, then finishes the requests in flight (docs/serve.md).
 */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        description = {
            "Serves embeddings (POST /v1/embeddings, OpenAI's API) and re-ranking (POST /v1/rerank and /rerank, the API",
            "Cohere, Jina and llama.cpp share) over HTTP on 127.0.0.1, plus GET /health and GET /metrics (Prometheus).",
            "Prints the URL and the bearer token every request needs (Authorization: Bearer TOKEN)."
        })
public final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(
            names = "--model",
            required = true,
            paramLabel = "NAME=SPEC",
            description = {
                "a model to serve under NAME (repeatable). SPEC is [RANKER:]SOURCE: SOURCE a GGUF file, a catalog name",
                "(minilm, bge-small, all-minilm-l6-v2, ...: winnow models list) or an embedder spec (hashed-bow:DIM);",
                "without RANKER the model is an embedder (embeddings, and re-ranking by cosine); RANKER one of blockrank,",
                "icr, listwise, pointwise, embedding, encoder makes it a re-ranker, e.g. rr=pointwise:qwen.gguf"
            })
    List<String> models = new ArrayList<>();

    @Option(
            names = "--host",
            paramLabel = "H",
            description = "the address to listen on (default: 127.0.0.1); anything else exposes the API to the network")
    String host = "127.0.0.1";

    @Option(names = "--port", paramLabel = "P", description = "the port (default: 8080; 0 picks a free one)")
    int port = 8080;

    @Option(
            names = "--contexts",
            paramLabel = "N",
            description = "contexts per model: requests one model serves at once (default: 1)")
    int contexts = 1;

    @Option(
            names = "--queue",
            paramLabel = "N",
            description =
                    "requests that may wait for a busy model's context; more get 429 with Retry-After (default: 16)")
    int queue = 16;

    @Option(names = "--threads", paramLabel = "N", description = "CPU threads per context (default: cores / contexts)")
    Integer threads;

    @Option(
            names = "--doc-tokens",
            paramLabel = "N",
            description = "a re-ranker's document token budget (default: 384)")
    int docTokens = 384;

    @Option(names = "--max-request-mb", paramLabel = "MB", description = "the largest request body, MiB (default: 16)")
    long maxRequestMb = 16;

    @Option(
            names = "--max-documents",
            paramLabel = "N",
            description = "the most documents in one rerank request (default: 1000)")
    int maxDocuments = 1000;

    @Option(
            names = "--max-inputs",
            paramLabel = "N",
            description = "the most texts in one embeddings request (default: 2048)")
    int maxInputs = 2048;

    @Option(
            names = "--token-file",
            paramLabel = "FILE",
            description =
                    "read the bearer token from FILE (at least 16 characters; e.g. one token for every server behind "
                            + "a load balancer) instead of making a random one")
    Path tokenFile;

    @Option(
            names = "--shutdown-grace",
            paramLabel = "S",
            description = "seconds to let requests in flight finish at shutdown (default: 30)")
    int shutdownGrace = 30;

    @Override
    public Integer call() throws Exception {
        List<ModelSpec> specs = new ArrayList<>();
        for (String m : models) {
            specs.add(ModelSpec.parse(m));
        }
        if (contexts < 1 || queue < 0 || maxRequestMb < 1 || shutdownGrace < 0) {
            throw new IllegalArgumentException(
                    "--contexts and --max-request-mb must be >= 1, --queue and --shutdown-grace" + " >= 0; got "
                            + contexts + ", " + maxRequestMb + ", " + queue + ", " + shutdownGrace);
        }
        String token = null;
        if (tokenFile != null) {
            token = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
        }
        int perContext =
                threads != null ? threads : Math.max(1, Runtime.getRuntime().availableProcessors() / contexts);
        ApiServer.Options options = new ApiServer.Options(
                host, port, token, maxRequestMb << 20, maxInputs, maxDocuments, 1, Duration.ofSeconds(shutdownGrace));
        var out = spec.commandLine().getOut();
        System.setProperty("org.slf4j.simpleLogger.log.io.javalin", "warn");
        System.setProperty("org.slf4j.simpleLogger.log.org.eclipse.jetty", "warn");
        List<ServedModel> served = new ArrayList<>();
        try {
            for (ModelSpec s : specs) {
                served.add(ServedModel.open(s, contexts, perContext, docTokens, queue, Duration.ofSeconds(60)));
            }
        } catch (Exception e) {
            served.forEach(ServedModel::close);
            throw e;
        }
        ApiServer server;
        try {
            server = ApiServer.start(options, served);
        } catch (RuntimeException e) {
            served.forEach(ServedModel::close);
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        AtomicBoolean stopping = new AtomicBoolean();
        Runnable stop = () -> {
            if (stopping.compareAndSet(false, true)) {
                server.close(); // finishes the requests in flight
                served.forEach(ServedModel::close);
                stopped.countDown();
            }
        };
        Thread hook = new Thread(stop, "winnow-serve-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        out.println("Winnow API serving " + served.size() + " model(s) at " + server.url());
        for (ServedModel m : served) {
            out.println("  " + m.name() + ": " + m.rankerName()
                    + (m.servesEmbeddings() ? ", embeddings of " + m.dimension() + " dimensions" : "") + " ("
                    + m.description()
                    + ")");
        }
        out.println("Token: " + server.token());
        out.println("Try: curl -H 'Authorization: Bearer " + server.token() + "' " + server.url() + "/models");
        out.flush();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            // stopped in-process (an embedding application, a test): the same graceful stop as on SIGTERM
            Runtime.getRuntime().removeShutdownHook(hook);
            stop.run();
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
