using Flowkit.Benchmarks;

// make bench: the engine's throughput and latency beside this machine's ceilings, measured in one run.
// make bench BENCH_ARGS=--expressions: what isolating each expression evaluation costs (issue #19), no services.
return args.Contains("--expressions") ? ExpressionBenchmark.Run(args) : await EngineBenchmark.RunAsync(args);
