using Flowkit.Benchmarks;

// make bench: the engine's throughput and latency beside this machine's ceilings, measured in one run.
// make bench BENCH_ARGS=--expressions: what isolating each expression evaluation costs (issue #19), no services.
// make bench-peers: the engine's linear-10 beside Hangfire's on the same PostgreSQL, in one run (issue #17).
return args.Contains("--expressions") ? ExpressionBenchmark.Run(args)
    : args.Contains("--peers") ? await PeersBenchmark.RunAsync(args)
    : await EngineBenchmark.RunAsync(args);
