using Flowkit.Benchmarks;

// make bench: the engine's throughput and latency beside this machine's ceilings, measured in one run.
return await EngineBenchmark.RunAsync(args);
