package org.hpcvirt.guest;

/**
 * One validated line from the guest agent, as produced by {@link ChannelLineParser}. Replies carry the
 * id of the host request they answer; {@link Hello} and {@link Heartbeat} are unsolicited.
 */
public sealed interface GuestMessage permits Hello, Heartbeat, GuestMessage.Result, GuestMessage.Counter,
        GuestMessage.Pong, GuestMessage.Error {

    /** {@code RESULT}: the outcome of {@code EXEC id}. */
    record Result(long id, ExecResult result) implements GuestMessage {
    }

    /** {@code COUNTER}: the answer to {@code COUNTER id}. */
    record Counter(long id, CounterReading reading) implements GuestMessage {
    }

    /** {@code PONG}: the answer to {@code PING id}. */
    record Pong(long id) implements GuestMessage {
    }

    /** {@code ERR}: request {@code id} failed or was malformed; id 0 when the agent could not tell which. */
    record Error(long id, String message) implements GuestMessage {
    }
}
