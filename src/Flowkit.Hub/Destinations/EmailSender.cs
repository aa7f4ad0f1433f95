using System.Net.Sockets;
using Flowkit.Definitions.Expressions;
using Flowkit.Definitions.Subscriptions;
using Flowkit.Hub.Delivery;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Flowkit.Hub.Destinations;

/// <summary>
/// <c>email</c>: one plain-text message to the destination's recipients through the configured SMTP server
/// (<c>Flowkit:Hub:Smtp</c>). The message id is derived from the delivery, so a mail system can drop a repeat.
/// A 4xx SMTP answer, a dropped connection or a timeout may pass on another attempt; a 5xx answer or a bad address not.
/// </summary>
internal sealed class EmailSender(ExpressionEngine expressions, IOptions<HubOptions> options, TimeProvider time) : IDestinationSender
{
    public string Kind => DestinationTypes.Email;

    public async Task<string> SendAsync(DeliveryRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var smtp = options.Value.Smtp;
        if (string.IsNullOrWhiteSpace(smtp.Host))
        {
            throw new DeliveryFailedException($"No SMTP server is configured for e-mail destinations: set {HubOptions.Section}:Smtp:Host, then redrive.", retryable: false);
        }

        var message = new MimeMessage();
        try
        {
            message.From.Add(MailboxAddress.Parse(smtp.From));
            foreach (var to in request.Destination.To ?? [])
            {
                message.To.Add(MailboxAddress.Parse(HubTemplates.Render(expressions, to, request.Scope, "to")));
            }
        }
        catch (ParseException e)
        {
            throw new DeliveryFailedException($"An e-mail address is not valid: {e.Message}", retryable: false, e);
        }

        message.Subject = HubTemplates.Render(expressions, request.Destination.Subject ?? string.Empty, request.Scope, "subject");
        message.Body = new TextPart("plain") { Text = HubTemplates.Render(expressions, request.Destination.Text ?? string.Empty, request.Scope, "text") };
        message.MessageId = $"{request.Delivery.EventId:N}.{request.Delivery.DestinationIndex}@flowkit";
        message.Headers.Add("X-Flowkit-Event", request.Delivery.EventType);
        message.Headers.Add("Idempotency-Key", request.Delivery.EventId.ToString("D"));

        using var limit = new CancellationTokenSource(request.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, limit.Token);
        using var client = new SmtpClient();
        try
        {
            await client.ConnectAsync(smtp.Host, smtp.Port, smtp.UseStartTls ? SecureSocketOptions.StartTls : SecureSocketOptions.None, linked.Token);
            if (!string.IsNullOrEmpty(smtp.UserName))
            {
                await client.AuthenticateAsync(smtp.UserName, smtp.Password ?? string.Empty, linked.Token);
            }

            await client.SendAsync(message, linked.Token);
            await client.DisconnectAsync(true, linked.Token);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new DeliveryFailedException($"The SMTP server {smtp.Host}:{smtp.Port} did not finish within {request.Timeout.TotalSeconds:0.#} s.", retryable: true);
        }
        catch (SmtpCommandException e)
        {
            // 4xx answers are temporary by RFC 5321; 5xx are permanent.
            throw new DeliveryFailedException($"The SMTP server refused the message ({(int)e.StatusCode}): {e.Message}", retryable: (int)e.StatusCode < 500, e);
        }
        catch (Exception e) when (e is SmtpProtocolException or SocketException or IOException or ServiceNotConnectedException)
        {
            throw new DeliveryFailedException($"The SMTP server {smtp.Host}:{smtp.Port} could not be reached or dropped the connection: {e.Message}", retryable: true, e);
        }
        catch (AuthenticationException e)
        {
            throw new DeliveryFailedException($"The SMTP server refused the credentials of {HubOptions.Section}:Smtp: {e.Message}", retryable: false, e);
        }

        return $"sent to {message.To.Count} recipient(s)";
    }
}
