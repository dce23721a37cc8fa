"""The letters pages, one module per sub-domain: letters (index, page, drafting, lifecycle),
signing, invitations and imports (the CSV upload), moderation (review delegated to
coordinators), publication (the public record and its exports). Thin views: authorise,
validate, one service call, message, redirect."""
