package io.kedge.cloud.pki;

/** A certificate request the CA will not sign; the message is fit to return to the requester. */
public class CertificateRequestException extends Exception {
    public CertificateRequestException(String message) {
        super(message);
    }
}
