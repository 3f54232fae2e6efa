package dev.presence.benchmarks;

import java.util.List;

/**
 * One load scenario: it prepares its clients, measures, cleans up, and returns its rows.
 */
interface Scenario {

	List<Row> run(Bench bench) throws Exception;

}
