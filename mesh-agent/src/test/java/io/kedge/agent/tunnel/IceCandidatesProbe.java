package io.kedge.agent.tunnel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.ice4j.ice.CandidateType;
import org.ice4j.ice.LocalCandidate;

/**
 * Gathers host candidates the way a tunnel setup does (no STUN or TURN servers) and prints what
 * ice4j harvested and what would be signaled to the peer, for IceExclusionsIT.
 * Arguments: {@code at-start|later} then the exclusion patterns. {@code at-start} hands the
 * patterns to {@link IceDefaults} (the interfaces present when the agent starts are never
 * harvested); {@code later} does not (as for an interface that appeared after the start), so only
 * the signaling filter leaves them out.
 */
public final class IceCandidatesProbe {
    private IceCandidatesProbe() {
    }

    public static void main(String[] args) throws Exception {
        InterfaceExclusions exclusions = InterfaceExclusions.of(Arrays.asList(args).subList(1, args.length));
        IceDefaults.apply("edgemesh0", args[0].equals("at-start") ? exclusions : InterfaceExclusions.of(List.of()));
        IceSession session = new IceSession(true, List.of(), false, 0, false, exclusions);
        try {
            List<String> harvested = new ArrayList<>();
            for (LocalCandidate c : session.localCandidates()) {
                if (c.getType() == CandidateType.HOST_CANDIDATE) {
                    harvested.add(c.getTransportAddress().getHostString());
                }
            }
            System.out.println("HARVESTED " + harvested);
            System.out.println("SIGNALED " + session.candidates());
        } finally {
            session.close();
        }
    }
}
