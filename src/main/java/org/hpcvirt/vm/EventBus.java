package org.hpcvirt.vm;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.hpcvirt.api.VmEvent;
import org.hpcvirt.vm.store.VmStore;

/**
 * Persists every event, then hands it to every subscriber in order. Publishing is synchronized so
 * that subscribers see events in sequence order. Subscribers must not block (the SSE stream
 * queues).
 */
public final class EventBus {
    private final VmStore store;
    private final CopyOnWriteArrayList<Consumer<VmEvent>> subscribers = new CopyOnWriteArrayList<>();

    public EventBus(VmStore store) {
        this.store = store;
    }

    /** Persists {@code ev}, notifies subscribers and returns it with its sequence number. */
    public synchronized VmEvent publish(VmEvent ev) {
        VmEvent stored = store.append(ev);
        for (Consumer<VmEvent> s : subscribers) {
            try {
                s.accept(stored);
            } catch (RuntimeException e) {
                // a broken subscriber (closed stream) must not stop the others
            }
        }
        return stored;
    }

    /**
     * Adds a subscriber and returns the persisted events after {@code afterSeq} atomically with the
     * subscription, so that a follower sees every event exactly once.
     */
    public synchronized List<VmEvent> subscribe(Consumer<VmEvent> s, String vm, long afterSeq) {
        subscribers.add(s);
        return store.events(vm, afterSeq, 100_000);
    }

    /** Adds a subscriber for events published from now on (no history). */
    public void subscribe(Consumer<VmEvent> s) {
        subscribers.add(s);
    }

    public void unsubscribe(Consumer<VmEvent> s) {
        subscribers.remove(s);
    }

    /** The sequence number of the newest event so far (0: none): what happens next comes after it. */
    public synchronized long lastSeq() {
        return store.lastSeq();
    }

    public List<VmEvent> history(String vm, long afterSeq, int limit) {
        return store.events(vm, afterSeq, limit);
    }
}
