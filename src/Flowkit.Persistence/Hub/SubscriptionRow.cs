using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Flowkit.Persistence.Hub;

/// <summary>An integration hub subscription of a workspace: its document as the API accepted it (issue #14).</summary>
public sealed class SubscriptionRow
{
    public Guid Id { get; set; }

    public string Workspace { get; set; } = "";

    public string Name { get; set; } = "";

    /// <summary>The subscription (events, workflow, destinations) as canonical JSON.</summary>
    public string Document { get; set; } = "{}";

    /// <summary>1 when created; each change adds one (an identical PUT changes nothing).</summary>
    public int Version { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

internal sealed class SubscriptionRowConfiguration : IEntityTypeConfiguration<SubscriptionRow>
{
    public void Configure(EntityTypeBuilder<SubscriptionRow> builder)
    {
        builder.ToTable("hub_subscriptions");
        builder.HasKey(x => x.Id);
        builder.Property(x => x.Id).HasColumnName("id");
        builder.Property(x => x.Workspace).HasColumnName("workspace");
        builder.Property(x => x.Name).HasColumnName("name").UseCollation("C");
        builder.Property(x => x.Document).HasColumnName("document").HasColumnType("jsonb");
        builder.Property(x => x.Version).HasColumnName("version");
        builder.Property(x => x.CreatedAt).HasColumnName("created_at");
        builder.Property(x => x.UpdatedAt).HasColumnName("updated_at");
        builder.HasIndex(x => new { x.Workspace, x.Name }).IsUnique();
        builder.HasOne<Workflows.WorkspaceRow>().WithMany().HasForeignKey(x => x.Workspace);
    }
}
