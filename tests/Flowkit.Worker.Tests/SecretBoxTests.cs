using System.Security.Cryptography;
using Flowkit.Definitions.Secrets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Flowkit.Worker.Tests;

public sealed class SecretBoxTests
{
    private static readonly SecretBox Box = new(RandomNumberGenerator.GetBytes(SecretBox.KeySize));

    [Theory]
    [InlineData("xoxb-1234-abcd")]
    [InlineData("")]
    [InlineData("ünïcødé ✓ and \"quotes\"\nand lines")]
    public void Unseal_SealedValue_ReturnsIt(string value)
    {
        var sealedValue = Box.Seal("ws1", "slack_token", value);

        Box.Unseal("ws1", "slack_token", sealedValue).Should().Be(value);
    }

    [Fact]
    public void Seal_SameValueTwice_GivesDifferentText()
    {
        // A fresh nonce per seal: equal secrets do not look equal at rest.
        Box.Seal("ws1", "a_secret", "same").Should().NotBe(Box.Seal("ws1", "a_secret", "same"));
    }

    [Fact]
    public void Seal_Value_DoesNotContainItInPlainOrBase64()
    {
        var sealedValue = Box.Seal("ws1", "token", "super-secret-value");

        sealedValue.Should().NotContain("super-secret-value");
        Convert.FromBase64String(sealedValue).Length.Should().Be(12 + "super-secret-value".Length + 16, "nonce | ciphertext | tag");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(12)]
    [InlineData(20)]
    [InlineData(-1)]
    public void Unseal_AnyByteChanged_Throws(int index)
    {
        var bytes = Convert.FromBase64String(Box.Seal("ws1", "token", "super-secret-value"));
        bytes[index < 0 ? bytes.Length + index : index] ^= 0x01;

        var act = () => Box.Unseal("ws1", "token", Convert.ToBase64String(bytes));

        act.Should().Throw<SecretUnsealException>().WithMessage("*'token'*altered*");
    }

    [Theory]
    [InlineData("ws2", "token")]
    [InlineData("ws1", "other")]
    public void Unseal_MovedToAnotherWorkspaceOrName_Throws(string workspace, string name)
    {
        var sealedValue = Box.Seal("ws1", "token", "super-secret-value");

        var act = () => Box.Unseal(workspace, name, sealedValue);

        act.Should().Throw<SecretUnsealException>();
    }

    [Fact]
    public void Unseal_OtherKey_ThrowsNamingTheSetting()
    {
        var sealedValue = new SecretBox(RandomNumberGenerator.GetBytes(32)).Seal("ws1", "token", "v");

        var act = () => Box.Unseal("ws1", "token", sealedValue);

        act.Should().Throw<SecretUnsealException>().WithMessage("*Flowkit:Secrets:Key*");
    }

    [Theory]
    [InlineData("not base64 at all")]
    [InlineData("AAAA")]
    public void Unseal_NotASealedValue_Throws(string text)
    {
        var act = () => Box.Unseal("ws1", "token", text);

        act.Should().Throw<SecretUnsealException>();
    }

    [Fact]
    public async Task Start_ProductionWithoutKey_FailsNamingTheKey()
    {
        var act = () => StartAsync("Production", key: null);

        (await act.Should().ThrowAsync<OptionsValidationException>()).WithMessage("*Flowkit:Secrets:Key*Flowkit__Secrets__Key*");
    }

    [Fact]
    public async Task Start_KeyOfWrongLength_Fails()
    {
        var act = () => StartAsync("Production", Convert.ToBase64String(new byte[16]));

        (await act.Should().ThrowAsync<OptionsValidationException>()).WithMessage("*32 bytes*");
    }

    [Fact]
    public async Task Start_DevelopmentWithoutKey_UsesTheDevelopmentKey()
    {
        using var host = await StartAsync("Development", key: null);
        var box = host.Services.GetRequiredService<SecretBox>();
        var development = new SecretBox(Convert.FromBase64String(SecretsOptions.DevelopmentKey));

        development.Unseal("ws1", "token", box.Seal("ws1", "token", "v")).Should().Be("v");
    }

    [Fact]
    public async Task Start_ConfiguredKey_SealsWithIt()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        using var host = await StartAsync("Production", Convert.ToBase64String(key));

        new SecretBox(key).Unseal("ws1", "token", host.Services.GetRequiredService<SecretBox>().Seal("ws1", "token", "v")).Should().Be("v");
    }

    private static async Task<IHost> StartAsync(string environment, string? key)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = environment, DisableDefaults = true });
        if (key is not null)
        {
            builder.Configuration.AddInMemoryCollection([new("Flowkit:Secrets:Key", key)]);
        }

        builder.Services.AddFlowkitSecrets();
        var host = builder.Build();
        try
        {
            await host.StartAsync(TestContext.Current.CancellationToken);
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }
}
