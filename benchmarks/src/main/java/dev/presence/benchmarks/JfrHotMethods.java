package dev.presence.benchmarks;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Summarises the CPU samples of a JFR recording (a node run with {@code --jfr}): the
 * methods on top of the stack (self time) and the project's methods anywhere on it
 * (total time), as shares of all samples.
 * <p>
 * {@code java -cp benchmarks/target/benchmarks.jar dev.presence.benchmarks.JfrHotMethods <file.jfr> [top]}
 */
public final class JfrHotMethods {

	private JfrHotMethods() {
	}

	public static void main(String[] args) throws IOException {
		if (args.length < 1) {
			System.err.println("Usage: JfrHotMethods <recording.jfr> [top]");
			System.exit(2);
		}
		int top = (args.length > 1) ? Integer.parseInt(args[1]) : 25;
		Map<String, Integer> self = new HashMap<>();
		Map<String, Integer> total = new HashMap<>();
		Map<String, Integer> threads = new HashMap<>();
		int samples = 0;
		for (RecordedEvent event : RecordingFile.readAllEvents(Path.of(args[0]))) {
			if (!event.getEventType().getName().equals("jdk.ExecutionSample")) {
				continue;
			}
			RecordedStackTrace stack = event.getStackTrace();
			if (stack == null || stack.getFrames().isEmpty()) {
				continue;
			}
			samples++;
			List<RecordedFrame> frames = stack.getFrames();
			self.merge(name(frames.get(0)), 1, Integer::sum);
			String thread = event.getThread("sampledThread").getJavaName();
			threads.merge((thread != null) ? thread.replaceAll("-?\\d+$", "-N") : "?", 1, Integer::sum);
			Set<String> seen = new HashSet<>();
			for (RecordedFrame frame : frames) {
				String name = name(frame);
				if (name.startsWith("dev.presence.") && seen.add(name)) {
					total.merge(name, 1, Integer::sum);
				}
			}
		}
		System.out.printf("%,d CPU samples%n%nBy thread:%n", samples);
		print(threads, samples, top);
		System.out.printf("%nSelf (top of stack):%n");
		print(self, samples, top);
		System.out.printf("%nTotal, project methods:%n");
		print(total, samples, top);
	}

	private static String name(RecordedFrame frame) {
		return frame.getMethod().getType().getName() + "." + frame.getMethod().getName();
	}

	private static void print(Map<String, Integer> counts, int samples, int top) {
		counts.entrySet()
			.stream()
			.sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
			.limit(top)
			.forEach((entry) -> System.out.printf("  %5.1f%%  %s%n", 100.0 * entry.getValue() / Math.max(1, samples),
					entry.getKey()));
	}

}
