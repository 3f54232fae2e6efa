package dev.presence.benchmarks;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The load driver builds and runs every scenario, tiny, against a real server and a real
 * Redis. Not a timed test: it checks that each scenario converges without errors, never
 * how fast.
 */
class LoadDriverSmokeTests {

	@Test
	void everySmokeScenarioConvergesAgainstARealServerAndRedis() throws Exception {
		DriverOptions options = DriverOptions.parse("--smoke", "--transport=both", "--work-dir=target/load-driver-smoke");
		ByteArrayOutputStream output = new ByteArrayOutputStream();

		List<Row> rows = LoadDriver.run(options, new PrintStream(output, true, StandardCharsets.UTF_8));

		String printed = output.toString(StandardCharsets.UTF_8);
		System.out.println(printed);
		List<String> scenarios = List.of("mass-join", "many-topics", "idle", "fan-out", "cross-node",
				"cross-node-updates", "round-trips", "track-rate", "large-state", "broadcast fan-out",
				"broadcast cross-node");
		List<String> expected = new ArrayList<>();
		for (String transport : List.of("servlet", "netty")) {
			scenarios.forEach((scenario) -> expected.add(scenario + " (" + transport + ")"));
		}
		assertThat(rows).extracting(Row::scenario).containsExactlyElementsOf(expected);
		assertThat(rows).as(printed).allSatisfy((row) -> assertThat(row.ok()).as(row.markdown()).isTrue());
		assertThat(printed).contains(Row.HEADER);
	}

}
