using LocalBatch.Cli;

return await LocalBatchCli.InvokeAsync(args, Console.Out, Console.Error, isTerminal: !Console.IsErrorRedirected, CancellationToken.None).ConfigureAwait(false);
