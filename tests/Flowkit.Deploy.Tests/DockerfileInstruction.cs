namespace Flowkit.Deploy.Tests;

/// <summary>One instruction of a Dockerfile: its keyword (upper case), its arguments (continuations joined) and its stage index.</summary>
internal sealed record DockerfileInstruction(string Keyword, string Arguments, int Stage, int Line);
