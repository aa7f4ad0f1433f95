namespace Flowkit.Api.Audit;

/// <summary>The <c>action</c> of each kind of audit entry (docs/security.md, "Audit log"), as <c>resource.verb</c>.</summary>
public static class AuditActions
{
    public const string WorkflowCreate = "workflow.create";
    public const string WorkflowUpdate = "workflow.update";
    public const string WorkflowArchive = "workflow.archive";
    public const string SecretPut = "secret.put";
    public const string SecretDelete = "secret.delete";
    public const string KeyCreate = "key.create";
    public const string KeyRotate = "key.rotate";
    public const string KeyRevoke = "key.revoke";
    public const string SubscriptionPut = "subscription.put";
    public const string SubscriptionDelete = "subscription.delete";
    public const string DeliveryRedrive = "delivery.redrive";
    public const string ConnectorPut = "connector.put";
    public const string ConnectorDelete = "connector.delete";
    public const string RunStart = "run.start";
    public const string RunCancel = "run.cancel";
    public const string RunPause = "run.pause";
    public const string RunResume = "run.resume";
    public const string RunRerun = "run.rerun";
    public const string ApprovalDecide = "approval.decide";
    public const string DeadLetterRedrive = "deadletter.redrive";
}
