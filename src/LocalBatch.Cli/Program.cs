using LocalBatch.Cli;

using var interruption = Interruption.FromProcessSignals();
return await LocalBatchCli.InvokeAsync(args, CliContext.ForConsole(interruption)).ConfigureAwait(false);
