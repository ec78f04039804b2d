package dev.winnow.bindings;

import dev.winnow.bindings.llama.llama_h;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

/**
 * Run in a fresh JVM by {@link LoaderTest}: 8 threads race to the first {@link LlamaNative#load()} (half of them through
 * a binding, which loads implicitly); prints how many distinct instances they saw and the backends.
 */
public final class ConcurrentLoadMain {

    private ConcurrentLoadMain() {
    }

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
            boolean viaBinding = i % 2 == 0;
            threads[i] = new Thread(() -> {
                try {
                    start.await();
                    if (viaBinding) {
                        maxDevices.add(llama_h.llama_max_devices());
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
