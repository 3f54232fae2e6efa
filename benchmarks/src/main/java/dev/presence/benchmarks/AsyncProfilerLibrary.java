package dev.presence.benchmarks;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * async-profiler's native library, which comes on the driver's class path from Maven
 * Central ({@code tools.profiler:async-profiler}, classifier {@code linux-x64}) and is
 * loaded into a node with {@code jcmd <pid> JVMTI.agent_load}.
 */
final class AsyncProfilerLibrary {

	private static final String RESOURCE = "linux-x64/libasyncProfiler.so";

	private AsyncProfilerLibrary() {
	}

	/**
	 * Copy the library into the work directory, once.
	 * @return its path
	 */
	static synchronized Path extract(Path workDir) throws IOException {
		Path library = workDir.resolve("libasyncProfiler.so").toAbsolutePath();
		if (Files.isRegularFile(library)) {
			return library;
		}
		try (InputStream in = AsyncProfilerLibrary.class.getClassLoader().getResourceAsStream(RESOURCE)) {
			if (in == null) {
				throw new IOException(RESOURCE + " is not on the class path (only linux-x64 is packaged)");
			}
			Files.createDirectories(workDir);
			Files.copy(in, library, StandardCopyOption.REPLACE_EXISTING);
		}
		return library;
	}

}
