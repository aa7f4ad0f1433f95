using Flowkit.Benchmarks;

// make bench: the engine's throughput and latency beside this machine's ceilings, measured in one run.
// make bench BENCH_ARGS=--expressions: what isolating each expression evaluation costs (issue #19), no services.
// make bench BENCH_ARGS=--foreach: the for-each shape at 10, 1,000 and 10,000 items and a 50-branch fan-out (issue #12).
// make bench-peers: the engine's linear-10 beside Hangfire's on the same PostgreSQL, in one run (issue #17).
return args.Contains("--expressions") ? ExpressionBenchmark.Run(args)
    : args.Contains("--foreach") ? await ForEachBenchmark.RunAsync(args)
    : args.Contains("--peers") ? await PeersBenchmark.RunAsync(args)
    : await EngineBenchmark.RunAsync(args);
