using Flowkit.Persistence.Secrets;
using Flowkit.Persistence.Workflows;
using Flowkit.Sagas;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Flowkit.Persistence;

/// <summary>
/// Flowkit's one database. The schema is owned by the migrations in <c>Migrations/</c> (hand-written SQL, see
/// docs/adr/0002); this model maps the same tables and columns.
/// </summary>
public sealed class FlowkitDbContext(DbContextOptions<FlowkitDbContext> options) : DbContext(options)
{
    public DbSet<WorkspaceRow> Workspaces => Set<WorkspaceRow>();

    public DbSet<WorkflowRow> Workflows => Set<WorkflowRow>();

    public DbSet<WorkflowVersionRow> WorkflowVersions => Set<WorkflowVersionRow>();

    public DbSet<RunState> Runs => Set<RunState>();

    public DbSet<StepRow> Steps => Set<StepRow>();

    public DbSet<RunEventRow> RunEvents => Set<RunEventRow>();

    public DbSet<SecretRow> Secrets => Set<SecretRow>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);

        modelBuilder.Entity<WorkspaceRow>(e =>
        {
            e.ToTable("workspaces");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
        });

        modelBuilder.Entity<WorkflowRow>(e =>
        {
            e.ToTable("workflows");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id");
            e.Property(x => x.Workspace).HasColumnName("workspace");
            e.Property(x => x.Name).HasColumnName("name");
            e.Property(x => x.Description).HasColumnName("description");
            e.Property(x => x.LatestVersion).HasColumnName("latest_version");
            e.Property(x => x.ArchivedAt).HasColumnName("archived_at");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.UpdatedAt).HasColumnName("updated_at");
            e.HasIndex(x => new { x.Workspace, x.Name }).IsUnique();
        });

        modelBuilder.Entity<WorkflowVersionRow>(e =>
        {
            e.ToTable("workflow_versions");
            e.HasKey(x => new { x.WorkflowId, x.Version });
            e.Property(x => x.WorkflowId).HasColumnName("workflow_id");
            e.Property(x => x.Version).HasColumnName("version");
            e.Property(x => x.Workspace).HasColumnName("workspace");
            e.Property(x => x.Definition).HasColumnName("definition").HasColumnType("jsonb");
            e.Property(x => x.Source).HasColumnName("source");
            e.Property(x => x.SourceFormat).HasColumnName("source_format");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");

            // Declared so EF orders inserts by the foreign keys that the migration creates.
            e.HasOne<WorkflowRow>().WithMany().HasForeignKey(x => x.WorkflowId);
        });

        modelBuilder.Entity<RunState>(MapRun);
        modelBuilder.Entity<StepRow>(MapStep);

        modelBuilder.Entity<RunEventRow>(e =>
        {
            e.ToTable("run_events");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id").UseIdentityAlwaysColumn();
            e.Property(x => x.RunId).HasColumnName("run_id");
            e.Property(x => x.Workspace).HasColumnName("workspace");
            e.Property(x => x.Type).HasColumnName("type");
            e.Property(x => x.StepId).HasColumnName("step_id");
            e.Property(x => x.Attempt).HasColumnName("attempt");
            e.Property(x => x.Timestamp).HasColumnName("timestamp");
            e.Property(x => x.Data).HasColumnName("data").HasColumnType("jsonb");
            e.Property(x => x.TraceId).HasColumnName("trace_id");
            e.HasOne<RunState>().WithMany().HasForeignKey(x => x.RunId);
        });

        modelBuilder.Entity<SecretRow>(e =>
        {
            e.ToTable("secrets");
            e.HasKey(x => new { x.Workspace, x.Name });
            e.Property(x => x.Workspace).HasColumnName("workspace");
            e.Property(x => x.Name).HasColumnName("name").UseCollation("C");
            e.Property(x => x.SealedValue).HasColumnName("sealed_value");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.UpdatedAt).HasColumnName("updated_at");
            e.HasOne<WorkspaceRow>().WithMany().HasForeignKey(x => x.Workspace);
        });
    }

    private static void MapRun(EntityTypeBuilder<RunState> e)
    {
        e.ToTable("runs");
        e.HasKey(x => x.CorrelationId);
        e.Property(x => x.CorrelationId).HasColumnName("id").ValueGeneratedNever();
        e.Property(x => x.CurrentState).HasColumnName("current_state");
        e.Property(x => x.Workspace).HasColumnName("workspace");
        e.Property(x => x.WorkflowId).HasColumnName("workflow_id");
        e.Property(x => x.Workflow).HasColumnName("workflow");
        e.Property(x => x.Version).HasColumnName("version");
        e.Property(x => x.Attempt).HasColumnName("attempt");
        e.Property(x => x.Input).HasColumnName("input").HasColumnType("jsonb");
        e.Property(x => x.RemainingSteps).HasColumnName("remaining_steps");
        e.Property(x => x.Error).HasColumnName("error");
        e.Property(x => x.CreatedAt).HasColumnName("created_at");
        e.Property(x => x.StartedAt).HasColumnName("started_at");
        e.Property(x => x.FinishedAt).HasColumnName("finished_at");
        e.Ignore(x => x.Outcome);
        e.HasOne<WorkflowVersionRow>().WithMany().HasForeignKey(x => new { x.WorkflowId, x.Version });
    }

    private static void MapStep(EntityTypeBuilder<StepRow> e)
    {
        e.ToTable("run_steps");
        e.HasKey(x => new { x.RunId, x.StepId });
        e.Property(x => x.RunId).HasColumnName("run_id");
        e.Property(x => x.StepId).HasColumnName("step_id");
        e.Property(x => x.Index).HasColumnName("index");
        e.Property(x => x.Status).HasColumnName("status").HasConversion(
            v => v.ToString().ToLowerInvariant(),
            v => Enum.Parse<Flowkit.Sagas.Planning.StepStatus>(v, true));
        e.Property(x => x.Attempt).HasColumnName("attempt");
        e.Property(x => x.PendingNeeds).HasColumnName("pending_needs");
        e.Property(x => x.SucceededNeeds).HasColumnName("succeeded_needs");
        e.Property(x => x.Output).HasColumnName("output").HasColumnType("jsonb");
        e.Property(x => x.Error).HasColumnName("error");
        e.Property(x => x.ConditionResult).HasColumnName("condition_result");
        e.Property(x => x.StartedAt).HasColumnName("started_at");
        e.Property(x => x.FinishedAt).HasColumnName("finished_at");
        e.Ignore(x => x.Counters);
        e.HasOne<RunState>().WithMany().HasForeignKey(x => x.RunId);
    }
}
