using Flowkit.Api;
using Flowkit.Api.Auth;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Flowkit.IntegrationTests;

/// <summary>API keys, the bootstrap key rule and list paging (issue #4): pure logic, no services.</summary>
public sealed class ApiKeyUnitTests
{
    [Theory]
    [InlineData("Bearer fk_abc", "fk_abc")]
    [InlineData("bearer fk_abc", "fk_abc")]
    [InlineData("Bearer   dev-admin-key  ", "dev-admin-key")]
    public void TryReadBearer_BearerHeader_ReturnsTheKey(string header, string key)
    {
        ApiKeys.TryReadBearer(header, out var read).Should().BeTrue();
        read.Should().Be(key);
    }

    [Theory]
    [InlineData("fk_abc")]
    [InlineData("Basic ZGV2OmRldg==")]
    [InlineData("Bearer ")]
    [InlineData("Bearer two words")]
    [InlineData("Bearerfk_abc")]
    public void TryReadBearer_OtherShapes_ReturnsFalse(string header) =>
        ApiKeys.TryReadBearer(header, out _).Should().BeFalse();

    [Fact]
    public void Generate_TwoKeys_DifferAndHashToDifferentValues()
    {
        var first = ApiKeys.Generate();
        var second = ApiKeys.Generate();

        first.Should().NotBe(second).And.StartWith("fk_").And.MatchRegex("^fk_[A-Za-z0-9_-]{43}$");
        ApiKeys.Hash(first).Should().HaveCount(32).And.NotEqual(ApiKeys.Hash(second));
        ApiKeys.Hash(first).Should().Equal(ApiKeys.Hash(first));
        ApiKeys.Display(first).Should().Be(first[..11]);
    }

    [Theory]
    [InlineData("alpha")]
    [InlineData("12")]
    [InlineData("name-with-dashes")]
    public void KeyCursor_RoundTrips(string key)
    {
        Page.TryReadKeyCursor(Page.WriteKeyCursor(key), out var read).Should().BeTrue();
        read.Should().Be(key);
    }

    [Theory]
    [InlineData("not base64 !")]
    [InlineData("YWxwaGE")] // "alpha" without the cursor's marker
    [InlineData("")]
    public void KeyCursor_NotOneWeGaveOut_IsRefused(string cursor) =>
        Page.TryReadKeyCursor(cursor, out _).Should().BeFalse();

    [Theory]
    [InlineData(null, 50, true)]
    [InlineData(1, 1, true)]
    [InlineData(500, 500, true)]
    [InlineData(0, 0, false)]
    [InlineData(501, 501, false)]
    public void CheckLimit_AcceptsOneTo500(int? limit, int size, bool valid)
    {
        (Page.CheckLimit(limit, out var read) is null).Should().Be(valid);
        read.Should().Be(size);
    }

    [Theory]
    [InlineData("Development", null, true)]
    [InlineData("Production", "a-long-random-secret-key", true)]
    [InlineData("Production", null, false)]
    [InlineData("Production", "  ", false)]
    [InlineData("Production", "dev-admin-key", false)]
    [InlineData("Production", "short", false)]
    [InlineData("Staging", null, false)]
    public void AuthOptionsValidator_BootstrapKeyRule(string environment, string? key, bool valid)
    {
        var result = new AuthOptionsValidator(new Environment(environment)).Validate(null, new AuthOptions { BootstrapKey = key });

        result.Succeeded.Should().Be(valid);
        if (!valid)
        {
            result.FailureMessage.Should().Contain("Flowkit:Auth:BootstrapKey").And.Contain("Flowkit__Auth__BootstrapKey");
        }
    }

    [Fact]
    public async Task Host_ProductionWithoutBootstrapKey_RefusesToStart()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Production, Args = [] });

        // Only the bootstrap key is missing: the secrets key (also required in Production) is set.
        builder.Configuration["Flowkit:Secrets:Key"] = Convert.ToBase64String(new byte[32]);
        builder.Services.AddFlowkitApi();
        using var host = builder.Build();

        var start = () => host.StartAsync(TestContext.Current.CancellationToken);

        (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain("Flowkit:Auth:BootstrapKey");
    }

    [Fact]
    public void Host_DevelopmentWithoutBootstrapKey_UsesTheDevelopmentKey()
    {
        using var services = new ServiceCollection()
            .AddSingleton<IHostEnvironment>(new Environment(Environments.Development))
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().Build())
            .AddFlowkitApiAuthentication()
            .BuildServiceProvider();

        services.GetRequiredService<IOptions<AuthOptions>>().Value.BootstrapKey.Should().Be(AuthOptions.DevelopmentBootstrapKey);
    }

    private sealed class Environment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;

        public string ApplicationName { get; set; } = "Flowkit.Tests";

        public string ContentRootPath { get; set; } = AppContext.BaseDirectory;

        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
