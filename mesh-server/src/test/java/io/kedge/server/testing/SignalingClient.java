package io.kedge.server.testing;

import io.kedge.common.signaling.SignalCodec;
import io.kedge.common.signaling.SignalException;
import io.kedge.common.signaling.SignalMessage;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A blocking signaling client on plain JDK TLS (not the agent's code), so the server is tested
 * against an independent implementation of the framing. Server certificates are not checked: the
 * tests are about the server's checks of clients.
 */
public final class SignalingClient implements Closeable {
    private final SSLSocket socket;
    private final DataInputStream in;
    private final DataOutputStream out;

    public SignalingClient(InetSocketAddress server, KeyStore clientIdentity, char[] password) throws Exception {
        KeyManagerFactory kmf = null;
        if (clientIdentity != null) {
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(clientIdentity, password);
        }
        SSLContext ssl = TurnClient.trustingTls(kmf == null ? null : kmf.getKeyManagers());
        socket = (SSLSocket) ssl.getSocketFactory().createSocket(server.getAddress(), server.getPort());
        socket.setSoTimeout(10_000);
        in = new DataInputStream(socket.getInputStream());
        out = new DataOutputStream(socket.getOutputStream());
    }

    public SignalingClient(InetSocketAddress server) throws Exception {
        this(server, null, null);
    }

    public void send(SignalMessage m) throws IOException {
        sendRaw(SignalCodec.encode(m));
    }

    public void sendRaw(byte[] json) throws IOException {
        out.writeInt(json.length);
        out.write(json);
        out.flush();
    }

    /** Writes bytes as they are, framing included. */
    public void sendBytes(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    public SignalMessage receive() throws IOException, SignalException {
        int length = in.readInt();
        byte[] frame = new byte[length];
        in.readFully(frame);
        return SignalCodec.decode(frame);
    }

    /** Whether the server closed the connection (reads until end of stream, at most a few frames). */
    public boolean closedByServer() throws IOException {
        try {
            for (int i = 0; i < 16; i++) {
                int length = in.readInt();
                in.readFully(new byte[length]);
            }
            return false;
        } catch (EOFException | javax.net.ssl.SSLException | java.net.SocketException e) {
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
