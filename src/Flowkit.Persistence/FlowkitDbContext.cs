using Flowkit.Persistence.Auth;
using Flowkit.Persistence.Hub;
using Flowkit.Persistence.Outbox;
using Flowkit.Persistence.Runs;
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

    /// <summary>The items of for-each steps (<c>run_step_items</c>).</summary>
    public DbSet<StepItemRow> StepItems => Set<StepItemRow>();

    public DbSet<RunRequestRow> RunRequests => Set<RunRequestRow>();

    public DbSet<RunQueueRow> RunQueue => Set<RunQueueRow>();

    public DbSet<StepAttemptRow> Attempts => Set<StepAttemptRow>();

    public DbSet<ApprovalRow> Approvals => Set<ApprovalRow>();

    public DbSet<OutboxMessageRow> Outbox => Set<OutboxMessageRow>();

    public DbSet<InboxMessageRow> Inbox => Set<InboxMessageRow>();

    public DbSet<ApiKeyRow> ApiKeys => Set<ApiKeyRow>();

    public DbSet<Audit.AuditEntryRow> AuditLog => Set<Audit.AuditEntryRow>();

    public DbSet<SubscriptionRow> Subscriptions => Set<SubscriptionRow>();

    public DbSet<DeliveryRow> Deliveries => Set<DeliveryRow>();
    public DbSet<Callbacks.CallbackRow> Callbacks => Set<Callbacks.CallbackRow>();

    public DbSet<Connectors.ConnectorRow> Connectors => Set<Connectors.ConnectorRow>();

    public DbSet<Connectors.ConnectorVersionRow> ConnectorVersions => Set<Connectors.ConnectorVersionRow>();

    private DateTimeOffset? _outboxDue;

    /// <summary>Remembers that this unit of work wrote an outbox row due at <paramref name="due"/>.</summary>
    internal void NoteOutboxDue(DateTimeOffset due)
    {
        if (_outboxDue is null || due < _outboxDue)
        {
            _outboxDue = due;
        }
    }

    /// <summary>The earliest due time written since the last call, once: the relay is woken after commit.</summary>
    internal DateTimeOffset? TakeOutboxDue()
    {
        var due = _outboxDue;
        _outboxDue = null;
        return due;
    }
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
            e.Property(x => x.CreatedBy).HasColumnName("created_by");

            // Declared so EF orders inserts by the foreign keys that the migration creates.
            e.HasOne<WorkflowRow>().WithMany().HasForeignKey(x => x.WorkflowId);
        });

        modelBuilder.Entity<OutboxMessageRow>(e =>
        {
            e.ToTable("outbox");
            e.HasKey(x => x.Sequence);
            e.Property(x => x.Sequence).HasColumnName("sequence").UseIdentityAlwaysColumn();
            e.Property(x => x.MessageId).HasColumnName("message_id");
            e.Property(x => x.RunId).HasColumnName("run_id");
            e.Property(x => x.Destination).HasColumnName("destination");
            e.Property(x => x.MessageType).HasColumnName("message_type");
            e.Property(x => x.Body).HasColumnName("body");
            e.Property(x => x.TraceParent).HasColumnName("trace_parent");
            e.Property(x => x.DueAt).HasColumnName("due_at");
            e.Property(x => x.Token).HasColumnName("token");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.ClaimedUntil).HasColumnName("claimed_until");
            e.Property(x => x.Attempts).HasColumnName("attempts");
            e.Property(x => x.PoisonedAt).HasColumnName("poisoned_at");
            e.Property(x => x.Error).HasColumnName("error");
        });

        modelBuilder.Entity<InboxMessageRow>(e =>
        {
            e.ToTable("inbox");
            e.HasKey(x => new { x.MessageId, x.Consumer });
            e.Property(x => x.MessageId).HasColumnName("message_id");
            e.Property(x => x.Consumer).HasColumnName("consumer");
            e.Property(x => x.ReceivedAt).HasColumnName("received_at");
        });

        modelBuilder.Entity<RunQueueRow>(e =>
        {
            e.ToTable("run_queue");
            e.HasKey(x => x.RunId);
            e.Property(x => x.RunId).HasColumnName("run_id");
            e.Property(x => x.WorkflowId).HasColumnName("workflow_id");
            e.Property(x => x.EnqueuedAt).HasColumnName("enqueued_at");
            e.Property(x => x.HandedOver).HasColumnName("handed_over");
            e.HasOne<RunState>().WithMany().HasForeignKey(x => x.RunId);
        });

        modelBuilder.Entity<RunRequestRow>(e =>
        {
            e.ToTable("run_requests");
            e.HasKey(x => new { x.Workspace, x.Scope, x.Key });
            e.Property(x => x.Workspace).HasColumnName("workspace");
            e.Property(x => x.Scope).HasColumnName("scope");
            e.Property(x => x.Key).HasColumnName("key");
            e.Property(x => x.RunId).HasColumnName("run_id");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.HasOne<RunState>().WithMany().HasForeignKey(x => x.RunId);
        });

        modelBuilder.Entity<StepAttemptRow>(e =>
        {
            e.ToTable("run_step_attempts");
            e.HasKey(x => new { x.RunId, x.StepId, x.Attempt });
            e.Property(x => x.RunId).HasColumnName("run_id");
            e.Property(x => x.StepId).HasColumnName("step_id");
            e.Property(x => x.Attempt).HasColumnName("attempt");
            e.Property(x => x.Status).HasColumnName("status");
            e.Property(x => x.DispatchedAt).HasColumnName("dispatched_at");
            e.Property(x => x.StartedAt).HasColumnName("started_at");
            e.Property(x => x.FinishedAt).HasColumnName("finished_at");
            e.Property(x => x.Error).HasColumnName("error");
            e.HasOne<RunState>().WithMany().HasForeignKey(x => x.RunId);
        });

        modelBuilder.Entity<ApprovalRow>(e =>
        {
            e.ToTable("approvals");
            e.HasKey(x => new { x.RunId, x.StepId, x.Attempt });
            e.Property(x => x.RunId).HasColumnName("run_id");
            e.Property(x => x.StepId).HasColumnName("step_id");
            e.Property(x => x.Attempt).HasColumnName("attempt");
            e.Property(x => x.Workspace).HasColumnName("workspace");
            e.Property(x => x.Message).HasColumnName("message");
            e.Property(x => x.RequestedAt).HasColumnName("requested_at");
            e.Property(x => x.ExpiresAt).HasColumnName("expires_at");
            e.Property(x => x.Decision).HasColumnName("decision");
            e.Property(x => x.DecidedBy).HasColumnName("decided_by");
            e.Property(x => x.Comment).HasColumnName("comment");
            e.Property(x => x.DecidedAt).HasColumnName("decided_at");
            e.HasOne<RunState>().WithMany().HasForeignKey(x => x.RunId);
        });

        modelBuilder.ApplyConfiguration(new ApiKeyRowConfiguration());
        modelBuilder.ApplyConfiguration(new Audit.AuditEntryRowConfiguration());
        modelBuilder.ApplyConfiguration(new SubscriptionRowConfiguration());
        modelBuilder.ApplyConfiguration(new DeliveryRowConfiguration());
        modelBuilder.ApplyConfiguration(new Connectors.ConnectorRowConfiguration());
        modelBuilder.ApplyConfiguration(new Connectors.ConnectorVersionRowConfiguration());
        modelBuilder.Entity<Callbacks.CallbackRow>(e =>
        {
            e.ToTable("run_callbacks");
            e.HasKey(x => x.TokenHash);
            e.Property(x => x.TokenHash).HasColumnName("token_hash");
            e.Property(x => x.RunId).HasColumnName("run_id");
            e.Property(x => x.StepId).HasColumnName("step_id");
            e.Property(x => x.Workspace).HasColumnName("workspace");
            e.Property(x => x.CreatedAt).HasColumnName("created_at");
            e.Property(x => x.ReceivedAt).HasColumnName("received_at");
            e.Property(x => x.Body).HasColumnName("body").HasColumnType("jsonb");
            e.Property(x => x.ExpiredAt).HasColumnName("expired_at");
            e.HasOne<RunState>().WithMany().HasForeignKey(x => x.RunId);
        });
        modelBuilder.Entity<RunState>(MapRun);
        modelBuilder.Entity<StepRow>(MapStep);
        modelBuilder.Entity<StepItemRow>(MapStepItem);

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
        e.Property(x => x.OpenApprovals).HasColumnName("open_approvals");
        e.Property(x => x.HoldsSlot).HasColumnName("holds_slot");
        e.Property(x => x.PausedAt).HasColumnName("paused_at");
        e.Property(x => x.RerunOf).HasColumnName("rerun_of");
        e.Property(x => x.RerunFrom).HasColumnName("rerun_from");
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
        e.Property(x => x.AttemptDispatchedAt).HasColumnName("attempt_dispatched_at");
        e.Property(x => x.DeadlineAt).HasColumnName("deadline_at");
        e.Property(x => x.AttemptDeliveries).HasColumnName("attempt_deliveries");
        e.Property(x => x.ReusedFrom).HasColumnName("reused_from");
        e.Property(x => x.ItemCount).HasColumnName("item_count");
        e.Property(x => x.ItemsDispatched).HasColumnName("items_dispatched");
        e.Property(x => x.ItemsFinished).HasColumnName("items_finished");
        e.Property(x => x.ItemsFailed).HasColumnName("items_failed");
        e.Ignore(x => x.Counters);
        e.HasOne<RunState>().WithMany().HasForeignKey(x => x.RunId);
    }

    private static void MapStepItem(EntityTypeBuilder<StepItemRow> e)
    {
        e.ToTable("run_step_items");
        e.HasKey(x => new { x.RunId, x.StepId, x.Index });
        e.Property(x => x.RunId).HasColumnName("run_id");
        e.Property(x => x.StepId).HasColumnName("step_id");
        e.Property(x => x.Index).HasColumnName("index");
        e.Property(x => x.Value).HasColumnName("value").HasColumnType("jsonb");
        e.Property(x => x.Status).HasColumnName("status").HasConversion(
            v => v.ToString().ToLowerInvariant(),
            v => Enum.Parse<Flowkit.Sagas.Planning.StepStatus>(v, true));
        e.Property(x => x.Attempt).HasColumnName("attempt");
        e.Property(x => x.Output).HasColumnName("output").HasColumnType("jsonb");
        e.Property(x => x.Error).HasColumnName("error");
        e.Property(x => x.ErrorCode).HasColumnName("error_code");
        e.Property(x => x.StartedAt).HasColumnName("started_at");
        e.Property(x => x.FinishedAt).HasColumnName("finished_at");
        e.Property(x => x.AttemptDispatchedAt).HasColumnName("attempt_dispatched_at");
        e.Property(x => x.DeadlineAt).HasColumnName("deadline_at");
        e.Property(x => x.AttemptDeliveries).HasColumnName("attempt_deliveries");
        e.HasOne<RunState>().WithMany().HasForeignKey(x => x.RunId);
    }
}
