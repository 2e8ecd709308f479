package org.hpcvirt.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TokenBucketTest {
    @Test
    void allowsTheBurstThenTheRate() {
        AtomicLong now = new AtomicLong();
        TokenBucket b = new TokenBucket(200, 200, now::get);
        int passed = 0;
        for (int i = 0; i < 1000; i++) {
            passed += b.tryAcquire() ? 1 : 0;
        }
        assertThat(passed).isEqualTo(200);
        now.addAndGet(100_000_000L); // 100 ms: 20 more tokens
        passed = 0;
        for (int i = 0; i < 1000; i++) {
            passed += b.tryAcquire() ? 1 : 0;
        }
        assertThat(passed).isEqualTo(20);
        now.addAndGet(60_000_000_000L); // a long pause saves up no more than the burst
        passed = 0;
        for (int i = 0; i < 1000; i++) {
            passed += b.tryAcquire() ? 1 : 0;
        }
        assertThat(passed).isEqualTo(200);
    }
}
