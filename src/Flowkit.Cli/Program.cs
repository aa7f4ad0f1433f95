using Flowkit.Cli;

return await CliApp.Build().Parse(args).InvokeAsync();
