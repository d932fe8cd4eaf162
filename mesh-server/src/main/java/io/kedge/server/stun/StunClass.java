package io.kedge.server.stun;

/** The class of a STUN message (RFC 8489 section 5): two bits spread across the message type. */
public enum StunClass {
    REQUEST(0b00), INDICATION(0b01), SUCCESS(0b10), ERROR(0b11);

    private final int bits;

    StunClass(int bits) {
        this.bits = bits;
    }

    public int bits() {
        return bits;
    }

    public static StunClass of(int bits) {
        return values()[bits & 0b11];
    }
}
