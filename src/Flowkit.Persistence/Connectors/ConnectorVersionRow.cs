using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Flowkit.Persistence.Connectors;

/// <summary>One immutable version of a connector's document.</summary>
public sealed class ConnectorVersionRow
{
    public Guid ConnectorId { get; set; }

    public int Version { get; set; }

    public string Workspace { get; set; } = "";

    /// <summary>The canonical JSON of the document: what workflows bind to and what identical PUTs compare.</summary>
    public string Document { get; set; } = "{}";

    /// <summary>The document as the user sent it (YAML or JSON), or the OpenAPI document it was imported from.</summary>
    public string Source { get; set; } = "";

    /// <summary>yaml, json, or openapi-yaml / openapi-json for an import.</summary>
    public string SourceFormat { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The API key (its name) that stored this version.</summary>
    public string? CreatedBy { get; set; }
}

internal sealed class ConnectorVersionRowConfiguration : IEntityTypeConfiguration<ConnectorVersionRow>
{
    public void Configure(EntityTypeBuilder<ConnectorVersionRow> builder)
    {
        builder.ToTable("connector_versions");
        builder.HasKey(x => new { x.ConnectorId, x.Version });
        builder.Property(x => x.ConnectorId).HasColumnName("connector_id");
        builder.Property(x => x.Version).HasColumnName("version");
        builder.Property(x => x.Workspace).HasColumnName("workspace");
        builder.Property(x => x.Document).HasColumnName("document").HasColumnType("jsonb");
        builder.Property(x => x.Source).HasColumnName("source");
        builder.Property(x => x.SourceFormat).HasColumnName("source_format");
        builder.Property(x => x.CreatedAt).HasColumnName("created_at");
        builder.Property(x => x.CreatedBy).HasColumnName("created_by");
        builder.HasOne<ConnectorRow>().WithMany().HasForeignKey(x => x.ConnectorId);
    }
}
