package dev.presence.benchmarks;

import java.util.Locale;

/**
 * One line of the results table.
 *
 * @param scenario the scenario
 * @param figure what it measured, in words and numbers
 * @param serverCpuSeconds CPU seconds the node(s) used during the measured part
 * @param serverRssMib resident memory of the node(s) at its end
 * @param ok whether the scenario converged without errors (not whether a target was met)
 */
record Row(String scenario, String figure, double serverCpuSeconds, double serverRssMib, boolean ok) {

	static final String HEADER = "| scenario | figure | server CPU s | server RSS MiB |\n| --- | --- | ---: | ---: |";

	/**
	 * The row labelled with the transport it was measured on.
	 */
	Row on(String transport) {
		return new Row(this.scenario + " (" + transport + ")", this.figure, this.serverCpuSeconds, this.serverRssMib,
				this.ok);
	}

	String markdown() {
		return String.format(Locale.ROOT, "| %s | %s%s | %.1f | %.0f |", this.scenario, this.figure,
				this.ok ? "" : " **(failed: did not converge or had errors)**", this.serverCpuSeconds, this.serverRssMib);
	}

}
