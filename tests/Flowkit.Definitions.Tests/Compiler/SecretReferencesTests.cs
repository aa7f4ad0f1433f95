using Flowkit.Definitions.Expressions;

namespace Flowkit.Definitions.Tests.Compiler;

public sealed class SecretReferencesTests
{
    [Fact]
    public void Compile_StepReadingSecrets_NamesThemOnItsPlanStep()
    {
        using var expressions = new ExpressionEngine();
        var compiler = new DefinitionCompiler(expressions);

        var compilation = compiler.Compile("""
            name: secret-reader
            steps:
              - id: call
                type: http
                with:
                  url: "{{ secrets.api_url }}/items"
                  headers: { Authorization: "Bearer {{ secrets['api_token'] }}" }
              - id: plain
                type: transform
                with: { n: 1 }
            """, DocumentFormat.Yaml);

        compilation.Errors.Should().BeEmpty();
        compilation.Plan!["call"].SecretNames.Should().Equal("api_token", "api_url");
        compilation.Plan["plain"].SecretNames.Should().BeEmpty();
    }
}
