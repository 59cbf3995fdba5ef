//! The demo workspace's two default cadences: a three-week pursue plan that mixes calls,
//! emails and LinkedIn, and a year-long nurture plan that adds value every month or two.
//! Written through `db::create`, so they are stored exactly as the editor would store them.

use sqlx::PgConnection;
use time::{Time, macros::time};

use super::{
    Purpose,
    db::{self, CadenceInput, StepInput},
};
use crate::process::Channel;

const MORNING: Option<(Time, Time)> = Some((time!(9:30), time!(11:30)));

fn step(
    channel: Channel,
    delay_business_days: i16,
    window: Option<(Time, Time)>,
    instructions: &str,
    template: &str,
) -> StepInput {
    StepInput {
        channel,
        delay_business_days,
        window,
        instructions: instructions.to_string(),
        template: template.to_string(),
    }
}

/// "Pursue — new opportunity": 8 touches over 15 business days (three weeks).
pub fn pursue() -> CadenceInput {
    use Channel::{Call, Email, Linkedin};
    CadenceInput {
        name: "Pursue — new opportunity".into(),
        purpose: Purpose::Pursue,
        description: "For a prospect showing current interest: eight touches over three weeks \
                      across email, phone and LinkedIn, each one aiming at a first meeting."
            .into(),
        is_default: true,
        steps: vec![
            step(
                Email,
                0,
                None,
                "Send the intro email the day they enter the cadence. Name the trigger (their \
                 post, a hire, the funding round) in the first line and ask for one thing: a \
                 20-minute call.",
                "Subject: {{account}} and a quicker path to pipeline\n\n\
                 Hi {{first_name}},\n\n\
                 I noticed {{account}} is growing the team, and wanted to share how teams like \
                 yours cut the time from first contact to first meeting by a third.\n\n\
                 Would 20 minutes next week be worth it to see whether it fits?\n\n\
                 {{owner_name}}",
            ),
            step(
                Linkedin,
                1,
                None,
                "Send a connection request with a short personal note. No pitch: mention \
                 something specific from their profile or recent activity.",
                "Hi {{first_name}}, I work with revenue teams at companies like {{account}} and \
                 enjoy following what you share. Would be glad to connect. — {{owner_first_name}}",
            ),
            step(
                Call,
                2,
                MORNING,
                "First call, in the morning when people are at their desk. If there is no \
                 answer, leave the 20-second voicemail below and say an email follows.",
                "Hi {{first_name}}, it's {{owner_name}}. I sent you a note about how {{account}} \
                 could book more first meetings with the same team. I'll follow up by email; \
                 if it's easier, call me back on this number. Thanks!",
            ),
            step(
                Email,
                2,
                None,
                "Follow up with one short customer story from their industry and a link to \
                 book time. Reply on the first email's thread so the context stays together.",
                "Hi {{first_name}},\n\n\
                 Following up on my note: a team much like yours at {{account}} moved from \
                 ad-hoc follow-ups to a simple cadence and doubled the meetings each rep books \
                 per month. I can show you how in 20 minutes.\n\n\
                 Does Tuesday or Thursday work better?\n\n\
                 {{owner_first_name}}",
            ),
            step(
                Call,
                3,
                MORNING,
                "Second call attempt. Try a different number if you have one (mobile, \
                 assistant). If you reach them, qualify: need, budget, authority, timeline.",
                "",
            ),
            step(
                Linkedin,
                2,
                None,
                "Engage on LinkedIn: comment thoughtfully on a recent post of theirs, or send \
                 a message with a resource that helps them whether or not they buy.",
                "{{first_name}}, this guide on building a prospecting rhythm came up in a \
                 conversation with another team this week and made me think of {{account}}. \
                 Happy to share it if useful.",
            ),
            step(
                Call,
                2,
                None,
                "Last call. Ask directly: is this a priority this quarter? If not, find out \
                 when it might be, and record it as future interest rather than a dead end.",
                "",
            ),
            step(
                Email,
                3,
                None,
                "Close the loop politely. A reply or a booked meeting moves them forward; \
                 silence moves them to the nurture cadence so the door stays open.",
                "Subject: Should I close your file?\n\n\
                 Hi {{first_name}},\n\n\
                 I haven't been able to reach you, so I'll assume the timing isn't right for \
                 {{account}}. I'll check back in a few months with something useful; if \
                 things change sooner, just reply to this email.\n\n\
                 All the best,\n{{owner_name}}",
            ),
        ],
    }
}

/// "Nurture — stay in touch": 8 value-adding touches over about a year.
pub fn nurture() -> CadenceInput {
    use Channel::{Call, Email, Event, Linkedin, Mail};
    CadenceInput {
        name: "Nurture — stay in touch".into(),
        purpose: Purpose::Nurture,
        description: "For a prospect with future interest: a useful touch every four to eight \
                      weeks for a year, so we are the first call when the timing is right."
            .into(),
        is_default: true,
        steps: vec![
            step(
                Email,
                20,
                None,
                "Share this quarter's industry report with one insight picked for their \
                 situation. Nothing to sell, no meeting request.",
                "Subject: {{account}} and this quarter's benchmark\n\n\
                 Hi {{first_name}},\n\n\
                 Our quarterly benchmark is out. One number stood out for a team like yours: \
                 the best performers follow up within a day, five times over two weeks.\n\n\
                 The full report is attached; no need to reply.\n\n\
                 {{owner_name}}",
            ),
            step(
                Linkedin,
                25,
                None,
                "Comment on something they or their company posted recently, adding a point of \
                 view rather than a compliment. Keep it public and genuine.",
                "",
            ),
            step(
                Call,
                30,
                MORNING,
                "Check-in call: ask how the priorities they mentioned have moved, and update \
                 the qualifying information. If the timing has come, move them to pursue.",
                "Hi {{first_name}}, it's {{owner_name}}. Last time we spoke you mentioned \
                 revisiting this later in the year, so I'm checking in to see how things have \
                 moved at {{account}}. I'll send a short note too.",
            ),
            step(
                Email,
                35,
                None,
                "Send a customer case study close to their industry and size, with the one \
                 result that matters to their role.",
                "Subject: How a team like {{account}}'s booked 2x the meetings\n\n\
                 Hi {{first_name}},\n\n\
                 This case study made me think of {{account}}: how a team of a similar size \
                 made follow-up a habit instead of a heroic effort, and what it did for their \
                 pipeline.\n\n\
                 {{owner_first_name}}",
            ),
            step(
                Event,
                30,
                None,
                "Invite them to the next webinar or local roundtable. Offer to introduce them \
                 to a customer peer who will be there.",
                "Subject: An invitation for {{first_name}}\n\n\
                 Hi {{first_name}},\n\n\
                 We're hosting a small roundtable for revenue leaders next month, with two \
                 customers sharing what worked and what didn't. I'd love to save you a seat.\n\n\
                 {{owner_name}}",
            ),
            step(
                Mail,
                40,
                None,
                "Mail a handwritten note with a book or article that fits a challenge they \
                 mentioned. Note the address you used in the interaction.",
                "{{first_name}} — this book changed how our customers think about pipeline; \
                 it made me think of our conversation. Warm regards, {{owner_first_name}}",
            ),
            step(
                Linkedin,
                35,
                None,
                "Share an article or short video relevant to their plans in a direct message, \
                 with one line on why it made you think of them.",
                "{{first_name}}, saw this and thought of what you said about {{account}}'s \
                 plans for next year. Curious what you make of it.",
            ),
            step(
                Call,
                40,
                MORNING,
                "Yearly timing review. Ask what would have to be true to look at this again, \
                 and when. Then choose: pursue now, another nurture year, or close with a reason.",
                "",
            ),
        ],
    }
}

/// Creates the demo's pursue and nurture cadences, both the default for their purpose,
/// in the caller's transaction. A cadence whose name is already in use is left alone,
/// so calling this again adds nothing.
pub async fn create_demo_cadences(conn: &mut PgConnection, actor_id: i64) -> sqlx::Result<()> {
    for cadence in [pursue(), nurture()] {
        if !db::name_in_use(&mut *conn, &cadence.name).await? {
            db::create(conn, actor_id, &cadence).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cadences::template;

    #[test]
    fn the_demo_plans_have_the_promised_shape() {
        let pursue = pursue();
        let span: i32 = pursue
            .steps
            .iter()
            .map(|s| i32::from(s.delay_business_days))
            .sum();
        assert_eq!(pursue.steps.len(), 8);
        assert_eq!(span, 15);

        let nurture = nurture();
        assert!(
            nurture
                .steps
                .iter()
                .all(|s| (20..=40).contains(&s.delay_business_days))
        );
        let span: i32 = nurture
            .steps
            .iter()
            .map(|s| i32::from(s.delay_business_days))
            .sum();
        assert!((240..=270).contains(&span), "{span}");

        for step in pursue.steps.iter().chain(&nurture.steps) {
            assert_eq!(template::check(&step.template), Ok(()), "{}", step.template);
        }
    }
}
