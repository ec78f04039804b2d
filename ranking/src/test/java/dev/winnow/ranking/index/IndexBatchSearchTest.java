package dev.winnow.ranking.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.winnow.ranking.SharedData;
import dev.winnow.ranking.collection.Query;
import dev.winnow.ranking.collection.TestCollection;
import dev.winnow.ranking.dense.HashedBagOfWordsEmbedder;
import dev.winnow.ranking.eval.Run;
import dev.winnow.ranking.fusion.Fusion;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Batch search runs its queries on the executor the caller passes (the index creates no threads) and returns exactly
 * what searching the queries one at a time returns, on the real Cranfield collection (1400 documents, its first 100 queries) in a real on-disk index.
 */
class IndexBatchSearchTest {

    @Test
    void batchSearchOnACallerExecutorEqualsSequentialSearch(@TempDir Path dir) throws Exception {
        TestCollection c = TestCollection.open(SharedData.collection("cranfield"), false);
        List<Query> queries = c.queries("all").subList(0, 100); // 100 of 225: ids 1..100 collide with document ids
        ExecutorService pool = Executors.newFixedThreadPool(4);
        AtomicInteger tasks = new AtomicInteger();
        Set<String> threads = ConcurrentHashMap.newKeySet();
        String caller = Thread.currentThread().getName();
        try (pool;
                HashedBagOfWordsEmbedder embedder = new HashedBagOfWordsEmbedder(64);
                DocumentIndex index = DocumentIndex.create(
                        dir.resolve("idx"),
                        IndexConfig.builder()
                                .embedder(embedder)
                                .fusion(Fusion.rrf(60), 100)
                                .build())) {
            long t0 = System.nanoTime();
            index.addAll(c.documents(), 500);
            assertEquals(c.documents().size(), index.embedMissing(200));
            System.out.printf("index + embed %.1f s%n", (System.nanoTime() - t0) / 1e9);
            Executor counting = r -> {
                tasks.incrementAndGet();
                pool.execute(() -> {
                    threads.add(Thread.currentThread().getName());
                    r.run();
                });
            };
            int k = 20;
            for (SearchMode mode : List.of(SearchMode.BM25, SearchMode.DENSE_EXACT, SearchMode.HYBRID)) {
                long t1 = System.nanoTime();
                tasks.set(0);
                Map<String, List<Hit>> parallel = index.searchAll(queries, k, mode, counting);
                assertEquals(queries.size(), tasks.get(), mode + ": one task per query, on the caller's executor");
                Run run = index.run(queries, k, mode, "r", counting);
                assertEquals(2 * queries.size(), tasks.get());
                Map<String, List<Hit>> onCaller = index.searchAll(queries, k, mode);
                Run runOnCaller = index.run(queries, k, mode, "r");
                assertEquals(
                        2 * queries.size(), tasks.get(), "the overloads without an executor use the calling thread");
                assertEquals(List.copyOf(onCaller.keySet()), List.copyOf(parallel.keySet()), "queries' order kept");
                int nonEmpty = 0;
                for (Query q : queries) {
                    // the reference: the query searched alone, its own id removed (as batch search does), cut to k
                    List<Hit> alone = new ArrayList<>(index.search(q.text(), k + 1, mode));
                    alone.removeIf(h -> h.id().equals(q.id()));
                    alone = alone.subList(0, Math.min(k, alone.size()));
                    List<Hit> got = parallel.get(q.id());
                    assertEquals(ids(alone), ids(got), mode + " query " + q.id());
                    assertEquals(scores(alone), scores(got), mode + " query " + q.id());
                    assertEquals(ids(got), ids(onCaller.get(q.id())));
                    // a run keeps trec_eval order (ties by id), so compare it as id -> score
                    Map<String, Double> byId = new HashMap<>();
                    got.forEach(h -> byId.put(h.id(), h.score()));
                    Map<String, Double> inRun = new HashMap<>();
                    run.ranking(q.id()).forEach(d -> inRun.put(d.docId(), d.score()));
                    assertEquals(byId, inRun, mode + " query " + q.id());
                    assertEquals(runOnCaller.ranking(q.id()), run.ranking(q.id()));
                    nonEmpty += got.isEmpty() ? 0 : 1;
                }
                assertTrue(
                        nonEmpty > queries.size() - 5, mode + ": " + nonEmpty + " of " + queries.size() + " with hits");
                System.out.printf("%s: %.1f s%n", mode, (System.nanoTime() - t1) / 1e9);
            }
            assertFalse(threads.contains(caller), "the tasks ran on the pool's threads");
            assertFalse(pool.isShutdown(), "the index leaves the caller's executor alone");
        }
    }

    @Test
    void aRunReportsItsQueriesThroughTheListenerOnTheCallingThread(@TempDir Path dir) throws Exception {
        TestCollection c = TestCollection.open(SharedData.collection("cranfield"), false);
        List<Query> queries = c.queries("all").subList(0, 60);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try (pool;
                HashedBagOfWordsEmbedder embedder = new HashedBagOfWordsEmbedder(32);
                DocumentIndex index = DocumentIndex.create(
                        dir.resolve("idx"),
                        IndexConfig.builder().embedder(embedder).build())) {
            index.addAll(c.documents(), 500);
            index.embedMissing(200);
            for (SearchMode mode : List.of(SearchMode.BM25, SearchMode.DENSE_EXACT)) {
                List<long[]> calls = new ArrayList<>();
                Set<String> callers = ConcurrentHashMap.newKeySet();
                Run run = index.run(queries, 10, mode, "r", pool, (done, total, unit) -> {
                    assertEquals("queries", unit);
                    callers.add(Thread.currentThread().getName());
                    calls.add(new long[] {done, total});
                });
                // 0 first, then one call per query collected, in order, the last done == total
                assertEquals(queries.size() + 1, calls.size(), mode.toString());
                for (int i = 0; i < calls.size(); i++) {
                    assertEquals(i, calls.get(i)[0], mode + " call " + i);
                    assertEquals(queries.size(), calls.get(i)[1], mode + " call " + i);
                }
                assertEquals(Set.of(Thread.currentThread().getName()), callers, "reported on the calling thread only");
                // the listener changes nothing in the run
                Run plain = index.run(queries, 10, mode, "r", pool);
                for (Query q : queries) {
                    assertEquals(plain.ranking(q.id()), run.ranking(q.id()), mode + " query " + q.id());
                }
                assertEquals(
                        plain.ranking(queries.getFirst().id()),
                        index.run(queries, 10, mode, "r", pool, null)
                                .ranking(queries.getFirst().id()),
                        "a null listener is none");
            }
        }
    }

    private static List<String> ids(List<Hit> hits) {
        return hits.stream().map(Hit::id).toList();
    }

    private static List<Double> scores(List<Hit> hits) {
        return hits.stream().map(Hit::score).toList();
    }
}
