using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Flowkit.Persistence.Connectors;

/// <summary>A named connector of a workspace (issue #14); its documents live in immutable <see cref="ConnectorVersionRow"/>s.</summary>
public sealed class ConnectorRow
{
    public Guid Id { get; set; }

    public string Workspace { get; set; } = "";

    public string Name { get; set; } = "";

    public string? Description { get; set; }

    public int LatestVersion { get; set; }

    /// <summary>Set by DELETE: the connector is gone for new workflows; workflows saved with it keep their copy.</summary>
    public DateTimeOffset? DeletedAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

internal sealed class ConnectorRowConfiguration : IEntityTypeConfiguration<ConnectorRow>
{
    public void Configure(EntityTypeBuilder<ConnectorRow> builder)
    {
        builder.ToTable("connectors");
        builder.HasKey(x => x.Id);
        builder.Property(x => x.Id).HasColumnName("id");
        builder.Property(x => x.Workspace).HasColumnName("workspace");
        builder.Property(x => x.Name).HasColumnName("name").UseCollation("C");
        builder.Property(x => x.Description).HasColumnName("description");
        builder.Property(x => x.LatestVersion).HasColumnName("latest_version");
        builder.Property(x => x.DeletedAt).HasColumnName("deleted_at");
        builder.Property(x => x.CreatedAt).HasColumnName("created_at");
        builder.Property(x => x.UpdatedAt).HasColumnName("updated_at");
        builder.HasIndex(x => new { x.Workspace, x.Name }).IsUnique();
        builder.HasOne<Workflows.WorkspaceRow>().WithMany().HasForeignKey(x => x.Workspace);
    }
}
