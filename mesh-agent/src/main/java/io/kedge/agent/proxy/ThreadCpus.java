package io.kedge.agent.proxy;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import java.io.IOException;
import java.util.Arrays;

/**
 * The CPUs a thread may run on, through libc's {@code sched_getaffinity} and
 * {@code sched_setaffinity} (Linux; JNA, which ice4j brings anyway). Affinity set here applies to
 * the calling thread only; threads it starts later inherit it.
 */
final class ThreadCpus {
    /** glibc's cpu_set_t: 1,024 CPUs in 16 words. */
    private static final int MASK_WORDS = 16;

    private interface LibC extends Library {
        int sched_getaffinity(int pid, long cpusetsize, long[] mask) throws LastErrorException;

        int sched_setaffinity(int pid, long cpusetsize, long[] mask) throws LastErrorException;
    }

    /** Loaded on first use, so that an agent that never pins never loads JNA. */
    private static final class Holder {
        static final LibC LIBC = Native.load("c", LibC.class);
    }

    private ThreadCpus() {
    }

    /** The CPUs the calling thread may run on, ascending (within the container's cpuset). */
    static int[] allowed() throws IOException {
        long[] mask = new long[MASK_WORDS];
        try {
            libc().sched_getaffinity(0, mask.length * 8L, mask);
        } catch (LastErrorException e) {
            throw new IOException("sched_getaffinity failed: errno " + e.getErrorCode(), e);
        }
        int[] cpus = new int[MASK_WORDS * 64];
        int n = 0;
        for (int cpu = 0; cpu < MASK_WORDS * 64; cpu++) {
            if ((mask[cpu / 64] & (1L << (cpu % 64))) != 0) {
                cpus[n++] = cpu;
            }
        }
        return Arrays.copyOf(cpus, n);
    }

    /** Restricts the calling thread to {@code cpu}. */
    static void pinCallingThread(int cpu) throws IOException {
        if (cpu < 0 || cpu >= MASK_WORDS * 64) {
            throw new IllegalArgumentException("no such CPU: " + cpu);
        }
        long[] mask = new long[MASK_WORDS];
        mask[cpu / 64] = 1L << (cpu % 64);
        try {
            libc().sched_setaffinity(0, mask.length * 8L, mask);
        } catch (LastErrorException e) {
            throw new IOException("sched_setaffinity to CPU " + cpu + " failed: errno " + e.getErrorCode(), e);
        }
    }

    private static LibC libc() throws IOException {
        try {
            return Holder.LIBC;
        } catch (LinkageError e) {
            // JNA's native part could not be loaded or unpacked (no writable temporary directory, say).
            throw new IOException("libc through JNA unavailable: " + e, e);
        }
    }
}
