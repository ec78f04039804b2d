package dev.winnow.bindings;

import dev.winnow.bindings.llama.ggml_h;
import dev.winnow.bindings.llama.llama_h;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

/**
 * Run in a fresh JVM by {@link LoaderTest}: 8 threads race to the first {@link LlamaNative#load()}, most of them through
 * a binding that loads implicitly, including the functions the load itself calls ({@code llama_backend_init},
 * {@code llama_log_set}, {@code ggml_backend_reg_count}); prints how many distinct instances they saw and the backends.
 */
public final class ConcurrentLoadMain {

    private ConcurrentLoadMain() {}

    /**
     * Entry point.
     *
     * @param args unused
     * @throws InterruptedException if interrupted
     */
    public static void main(String[] args) throws InterruptedException {
        Set<Integer> instances = ConcurrentHashMap.newKeySet();
        Set<Long> maxDevices = ConcurrentHashMap.newKeySet();
        CountDownLatch start = new CountDownLatch(1);
        Thread[] threads = new Thread[8];
        for (int i = 0; i < threads.length; i++) {
            int kind = i;
            threads[i] = new Thread(() -> {
                try {
                    start.await();
                    switch (kind) {
                        case 0 -> llama_h.llama_backend_init();
                        case 1 -> maxDevices.add(ggml_h.ggml_backend_reg_count());
                        case 2 -> maxDevices.add(llama_h.llama_max_devices());
                        case 3 -> ggml_h.ggml_backend_dev_count();
                        case 4 -> llama_h.llama_time_us();
                        default -> {}
                    }
                    instances.add(System.identityHashCode(LlamaNative.load()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            threads[i].start();
        }
        start.countDown();
        for (Thread t : threads) {
            t.join();
        }
        System.out.println("instances=" + instances.size());
        System.out.println("maxDevices=" + maxDevices);
        System.out.println("backends=" + LlamaNative.load().backends());
    }
}
