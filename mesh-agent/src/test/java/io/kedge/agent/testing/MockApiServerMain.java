package io.kedge.agent.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Runs {@link MockApi} as a process inside a topology host, controlled through stdin with one JSON
 * command per line: {"op":"apply","yaml":"..."} (create or update every document) or
 * {"op":"delete","yaml":"..."}. Prints "READY" when serving and "OK n" / "ERR message" per command.
 *
 * <p>Usage: {@code MockApiServerMain BIND_ADDRESS PORT}
 */
public final class MockApiServerMain {
    public static void main(String[] args) throws Exception {
        ObjectMapper json = new ObjectMapper();
        try (MockApi api = new MockApi(args[0], Integer.parseInt(args[1]), true); KubernetesClient client = api.client()) {
            System.out.println("READY " + api.url());
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null) {
                try {
                    JsonNode command = json.readTree(line);
                    List<HasMetadata> items = client.load(new ByteArrayInputStream(
                            command.get("yaml").asText().getBytes(StandardCharsets.UTF_8))).items();
                    for (HasMetadata item : items) {
                        switch (command.get("op").asText()) {
                            case "apply" -> client.resource(item).createOr(NonDeletingOperation::update);
                            case "delete" -> client.resource(item).delete();
                            default -> throw new IllegalArgumentException("unknown op " + command.get("op"));
                        }
                    }
                    System.out.println("OK " + items.size());
                } catch (Exception e) {
                    System.out.println("ERR " + e.getMessage().replace('\n', ' '));
                }
                System.out.flush();
            }
        }
    }
}
