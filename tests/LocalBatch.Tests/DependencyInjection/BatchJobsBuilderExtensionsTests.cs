using LocalBatch.Batches;
using LocalBatch.Testing;
using LocalBatch.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LocalBatch.Tests.DependencyInjection;

public sealed class BatchJobsBuilderExtensionsTests
{
    [Fact]
    public async Task AddBatchJobs_Resolved_IsOneSingletonOnTheProcessorThatTheContainerDisposes()
    {
        await using var gateway = await SimulatedGateway.StartAsync();
        var store = NewStore();
        var services = new ServiceCollection();
        services.AddLocalBatch(o => o.Endpoint = gateway.Endpoint).AddBatchJobs(o => o.StoreDirectory = store);
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        BatchJobManager manager;
        try
        {
            manager = provider.GetRequiredService<BatchJobManager>();
            Assert.Same(manager, provider.GetRequiredService<BatchJobManager>());
            Assert.Equal(Path.GetFullPath(store), manager.StoreDirectory);
            var batch = await manager.CreateAsync(BatchTestEnvironment.ToStream(BatchTestEnvironment.ChatLines(3)));
            Assert.Equal(BatchStatus.Completed, (await manager.WaitAsync(batch.Id)).Status);
        }
        finally
        {
            await provider.DisposeAsync();
        }

        try
        {
            await Assert.ThrowsAsync<ObjectDisposedException>(() => manager.ResumeAsync());
        }
        finally
        {
            Directory.Delete(store, recursive: true);
        }
    }

    [Fact]
    public async Task AddBatchJobs_FromConfiguration_BindsEveryOption()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Batches:StoreDirectory"] = "/tmp/localbatch-config-store",
                ["Batches:MaxLinesPerBatch"] = "123",
                ["Batches:ResumeOnStart"] = "false",
                ["Batches:CompletionWindowDuration"] = "-00:00:00.001",
                ["Batches:ProgressInterval"] = "00:00:02",
            })
            .Build();
        var services = new ServiceCollection();
        services.AddLocalBatch(o => o.Endpoint = new Uri("http://127.0.0.1:8080")).AddBatchJobs(configuration.GetSection("Batches"));
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<BatchJobManagerOptions>>().Value;

        Assert.Equal("/tmp/localbatch-config-store", options.StoreDirectory);
        Assert.Equal(123, options.MaxLinesPerBatch);
        Assert.False(options.ResumeOnStart);
        Assert.Equal(Timeout.InfiniteTimeSpan, options.CompletionWindowDuration);
        Assert.Equal(TimeSpan.FromSeconds(2), options.ProgressInterval);
    }

    [Fact]
    public async Task AddBatchJobs_InvalidOptions_FailStartupValidationListingEveryProblem()
    {
        var services = new ServiceCollection();
        services.AddLocalBatch(o => o.Endpoint = new Uri("http://127.0.0.1:8080")).AddBatchJobs(o =>
        {
            o.MaxLinesPerBatch = 0;
            o.CompletionWindowDuration = TimeSpan.FromDays(31);
            o.StoreDirectory = null!;
        });
        await using var provider = services.BuildServiceProvider();

        var atStart = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        var atResolve = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<BatchJobManager>());

        Assert.Equal(3, atStart.Failures.Count());
        Assert.Contains("CompletionWindowDuration", atResolve.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddBatchJobs_CalledTwice_RegistersOneManagerWithBothConfigurations()
    {
        var services = new ServiceCollection();
        services.AddLocalBatch(o => o.Endpoint = new Uri("http://127.0.0.1:8080"))
            .AddBatchJobs(o => o.MaxLinesPerBatch = 7)
            .AddBatchJobs(o => o.ResumeOnStart = false);
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<BatchJobManagerOptions>>().Value;

        Assert.Single(services, d => d.ServiceType == typeof(BatchJobManager));
        Assert.Equal((7, false), (options.MaxLinesPerBatch, options.ResumeOnStart));
    }

    private static string NewStore() => Path.Combine(Path.GetTempPath(), "localbatch-tests", Guid.NewGuid().ToString("N"));
}
