// A console's first screens, written against the client openapi-typescript generates from the
// gateway's /openapi.json at its default settings (into generated/api.d.ts; the suite
// regenerates it and compiles this with `tsc --noEmit --strict`). It is never run: it only has
// to compile, the way a frontend team's code would.
import createClient from "openapi-fetch";
import type { components, paths } from "../generated/api";

type Community = components["schemas"]["CommunityPublic"];
type Member = components["schemas"]["MemberPublic"];

export async function firstSteps(baseUrl: string, token: string): Promise<string[]> {
  const api = createClient<paths>({
    baseUrl,
    headers: { Authorization: `Bearer ${token}`, "Accept-Language": "zh-CN" },
  });

  // Create a community with only what is required: every defaulted field may be left out.
  const created = await api.POST("/v1/communities", { body: { name: "读书会" } });
  if (created.error) {
    throw new Error(`${created.error.title}: ${created.error.detail}`);
  }
  const community: Community = created.data;

  // Join it: tags, invite code and tier are optional.
  const joined = await api.POST("/v1/communities/{community_id}/members", {
    params: { path: { community_id: community.id } },
    body: { user_id: "u_alice", display_name: "小林" },
  });
  if (joined.error) {
    throw new Error(joined.error.detail);
  }
  const member: Member = joined.data;

  // The sanction ladder and the tier policy accept partial bodies too.
  await api.PUT("/v1/communities/{community_id}/sanction-ladder", {
    params: { path: { community_id: community.id } },
    body: {},
  });
  await api.PUT("/v1/communities/{community_id}/tier-policy", {
    params: { path: { community_id: community.id } },
    body: { promote_top: 3 },
  });

  // Activities, sent as a list the way every list is answered.
  await api.POST("/v1/activities", {
    body: {
      items: [
        {
          id: "act_1",
          community_id: community.id,
          member_id: member.id,
          type: "message",
          occurred_at: new Date().toISOString(),
        },
      ],
    },
  });

  const listed = await api.GET("/v1/communities", { params: { query: { limit: 20 } } });
  const names = (listed.data?.items ?? []).map((item: Community) => item.name);

  const board = await api.GET("/v1/communities/{community_id}/leaderboard", {
    params: { path: { community_id: community.id }, query: { period: "week" } },
  });
  const leaders = (board.data?.items ?? []).map((standing) => standing.member_id);

  // The calendar feed is text, not JSON.
  const feed = await api.GET("/v1/communities/{community_id}/events.ics", {
    params: { path: { community_id: community.id } },
    parseAs: "text",
  });
  const calendar: string = feed.data ?? "";

  return [...names, ...leaders, calendar.slice(0, 15)];
}
