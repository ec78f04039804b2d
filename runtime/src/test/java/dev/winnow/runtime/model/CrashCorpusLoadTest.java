package dev.winnow.runtime.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.models.gguf.GgufFile;
import dev.winnow.models.gguf.fuzz.CrashCorpus;
import dev.winnow.runtime.TestModels;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The regression corpus of issue 16's crash classes ({@link CrashCorpus}: I32/F64 {@code attn_q}, I8
 * {@code token_embd}, an F16 norm, {@code head_count_kv} with a 0 entry, a short {@code head_count} array, a second
 * shard whose {@code split.no} is UINT32, a BERT with 512 positions given n_ctx 1024 and 600 tokens), each written by
 * the test and loaded through the real runtime and llama.cpp in a worker JVM ({@link ProbeRunner}): every one is
 * refused with a message naming the file and the problem, and the worker survives all of them. Harmless neighbours
 * (a valid 3-shard split, the BERT within its positions, a NaN weight) load.
 */
class CrashCorpusLoadTest {
    @TempDir
    Path tmp;

    @Test
    void everyCrashClassIsRefusedWithTheFileAndTheJvmSurvives() throws Exception {
        Map<String, Path> corpus = CrashCorpus.write(TestModels.stories260K(), tmp.resolve("corpus"));
        Map<String, String> expected = Map.of(
                "attn_q-i32.gguf", "tensor 'blk.0.attn_q.weight' has type i32",
                "attn_q-f64.gguf", "tensor 'blk.0.attn_q.weight' has type f64",
                "token_embd-i8.gguf", "tensor 'token_embd.weight' has type i8",
                "attn_norm-f16.gguf", "tensor 'blk.0.attn_norm.weight' has type f16",
                "head_count_kv-zero-entry.gguf", "entry 1 (layer 1) of 'llama.attention.head_count_kv' is 0",
                "head_count-short-array.gguf", "'llama.attention.head_count' has 4 entries, expected one per layer: 5",
                "split-second-shard-split.no-uint32", "'split.no' is a UINT32, expected UINT16");
        // in this JVM: the pre-check alone (llama.cpp never sees the file)
        for (Map.Entry<String, String> e : expected.entrySet()) {
            Path f = corpus.get(e.getKey()).toAbsolutePath();
            InvalidModelException x =
                    assertThrows(InvalidModelException.class, () -> GgufPrecheck.check(f), e.getKey());
            assertTrue(
                    x.getMessage().startsWith("model file " + f + ": ")
                            && x.getMessage().contains(e.getValue()),
                    x.getMessage());
        }
        Path bert = corpus.get("bert-512-positions.gguf").toAbsolutePath();
        assertEquals(512, GgufPrecheck.check(bert).positionRows());
        assertEquals(-1, GgufPrecheck.check(TestModels.stories260K()).positionRows());

        // through the real loader, context and decode in a worker JVM
        Path valid;
        try (GgufFile base = GgufFile.open(TestModels.stories260K())) {
            valid = CrashCorpus.split(base, tmp.resolve("valid-split"), "stories", 3, Map.of())
                    .get(0);
        }
        Path work = java.nio.file.Files.createDirectories(tmp.resolve("work"));
        try (ProbeRunner runner = new ProbeRunner(work, Duration.ofSeconds(60))) {
            for (Map.Entry<String, String> e : expected.entrySet()) {
                Path f = corpus.get(e.getKey()).toAbsolutePath();
                ProbeRunner.Result r = runner.probe(f, 0, 0);
                assertEquals(ProbeRunner.Status.REFUSED, r.status(), e.getKey() + ": " + r);
                assertEquals("load", r.step(), r.toString());
                assertTrue(
                        r.detail().startsWith("InvalidModelException: model file " + f + ": ")
                                && r.detail().contains(e.getValue()),
                        r.toString());
            }
            ProbeRunner.Result tooLong = runner.probe(bert, 1024, 600);
            assertEquals(ProbeRunner.Status.REFUSED, tooLong.status(), tooLong.toString());
            assertEquals("decode", tooLong.step());
            assertTrue(
                    tooLong.detail().contains("position 512 is past the 512 positions of model " + bert),
                    tooLong.toString());
            ProbeRunner.Result pastTable = runner.probe(bert, 512, 600);
            assertEquals(ProbeRunner.Status.REFUSED, pastTable.status(), pastTable.toString());
            assertEquals("decode", pastTable.step());
            assertTrue(pastTable.detail().contains("position 512"), pastTable.toString());
            assertEquals(
                    ProbeRunner.Status.ACCEPTED, runner.probe(bert, 512, 512).status());
            assertEquals(ProbeRunner.Status.ACCEPTED, runner.probe(bert, 0, 8).status());
            ProbeRunner.Result split = runner.probe(valid.toAbsolutePath(), 0, 0);
            assertEquals(ProbeRunner.Status.ACCEPTED, split.status(), split.toString());
            ProbeRunner.Result nan = runner.probe(corpus.get("nan-weight.gguf").toAbsolutePath(), 0, 0);
            assertTrue(
                    List.of(ProbeRunner.Status.ACCEPTED_NON_FINITE, ProbeRunner.Status.REFUSED)
                            .contains(nan.status()),
                    nan.toString());
            assertEquals(
                    ProbeRunner.Status.ACCEPTED,
                    runner.probe(TestModels.stories260K().toAbsolutePath(), 0, 0)
                            .status());
            // one worker served every file: none of them killed it
            assertEquals(1, runner.workersStarted());
            assertNotEquals(null, split);
        }
    }
}
