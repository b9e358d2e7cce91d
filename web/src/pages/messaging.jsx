// Topics as conversations: subscribe (alone or in a queue group), see messages as they come,
// including those that waited in this node's inbox, and publish to everyone listening on
// any node.
import { useEffect, useRef, useState } from 'preact/hooks';

import { errorInWords, publish, subscribe } from '../api.js';

/** Browsers keep six connections per host; each subscription holds one. */
const MOST_TOPICS = 4;
/** Messages kept per topic on the page. */
const MOST_MESSAGES = 500;

function saved(key, fallback) {
  try {
    return JSON.parse(localStorage.getItem(key)) ?? fallback;
  } catch {
    return fallback;
  }
}

function Conversation({ topic, queue, name, live, onResume, onLeave }) {
  const [messages, setMessages] = useState([]);
  const [state, setState] = useState(live ? 'connecting' : 'paused');
  const [text, setText] = useState('');
  const [durable, setDurable] = useState(true);
  const [problem, setProblem] = useState(null);
  const list = useRef(null);

  useEffect(() => {
    setMessages([]);
    if (!live) return undefined;
    setState('connecting');
    return subscribe(topic, queue, (message) => {
      setMessages((all) => {
        if (message.id && all.some((m) => m.id === message.id)) return all;
        return [...all, { ...message, at: new Date() }].slice(-MOST_MESSAGES);
      });
    }, setState);
  }, [topic, queue, live]);
  useEffect(() => {
    if (list.current) list.current.scrollTop = list.current.scrollHeight;
  }, [messages.length]);

  const send = async (event) => {
    event.preventDefault();
    if (!text.trim()) return;
    let body;
    if (text.trim().startsWith('{')) {
      try {
        JSON.parse(text);
        body = text;
      } catch (error) {
        setProblem(`Starts like JSON but is not: ${error.message}`);
        return;
      }
    } else {
      body = JSON.stringify({ from: name || 'anonymous', text });
    }
    const sent = await publish(topic, body, durable).catch((error) => ({
      ok: false,
      body: { detail: `the gateway cannot be reached: ${error.message}` },
    }));
    if (sent.ok) {
      setText('');
      setProblem(null);
    } else {
      setProblem(errorInWords(sent.body));
    }
  };

  return (
    <section class="conversation" aria-labelledby={`topic-${topic}`} data-topic={topic}>
      <header class="row">
        <h2 id={`topic-${topic}`}>{topic}</h2>
        {queue && <span class="badge" title="each message goes to one member of the group">queue {queue}</span>}
        <span class={`state ${state}`} data-testid="state">{state === 'open' ? 'live' : state}</span>
        {!live && (
          <button type="button" class="small" onClick={onResume}
            title="Subscribing takes the messages waiting for this topic on this node">
            Resume
          </button>
        )}
        <button type="button" class="link" onClick={onLeave}>Leave</button>
      </header>
      <p class="muted">Names are what each sender claims: anyone may publish to a topic.</p>
      <ol class="messages" ref={list} aria-live="polite" data-testid="messages">
        {messages.length === 0 && (
          <li class="empty">
            Nothing yet. Messages published while nobody listened wait in this node's inbox and
            arrive here first.
          </li>
        )}
        {messages.map((m) => (
          <li class="message">
            {typeof m.body === 'object' && m.body && 'text' in m.body ? (
              <>
                <strong>{String(m.body.from ?? 'anonymous')}</strong> <span>{String(m.body.text)}</span>
              </>
            ) : (
              <code>{typeof m.body === 'string' ? m.body : JSON.stringify(m.body)}</code>
            )}
            <time class="muted" datetime={m.at.toISOString()}>{m.at.toLocaleTimeString()}</time>
          </li>
        ))}
      </ol>
      <form class="compose" onSubmit={send}>
        <label for={`say-${topic}`} class="visually-hidden">Message to {topic}</label>
        <input id={`say-${topic}`} type="text" value={text} placeholder="A message, or JSON"
          onInput={(e) => setText(e.currentTarget.value)} />
        <label class="inline">
          <input type="checkbox" checked={durable} onChange={(e) => setDurable(e.currentTarget.checked)} />
          durable
        </label>
        <button type="submit">Publish</button>
      </form>
      {problem && <p class="error" role="alert">{problem}</p>}
    </section>
  );
}

export function MessagingPage() {
  // Topics from an earlier visit come back paused: subscribing takes their waiting messages
  // (and a queue group's turns) from whoever else listens on this node, so only on request.
  const [joined, setJoined] = useState(() =>
    saved('micro.topics', []).map((j) => ({ topic: j.topic, queue: j.queue, live: false })),
  );
  const [name, setName] = useState(() => saved('micro.name', ''));
  const [topic, setTopic] = useState('');
  const [queue, setQueue] = useState('');
  const [problem, setProblem] = useState(null);
  useEffect(() => {
    const kept = joined.map((j) => ({ topic: j.topic, queue: j.queue }));
    localStorage.setItem('micro.topics', JSON.stringify(kept));
  }, [joined]);
  useEffect(() => localStorage.setItem('micro.name', JSON.stringify(name)), [name]);

  const join = (event) => {
    event.preventDefault();
    const wanted = topic.trim();
    if (!wanted || /\s/.test(wanted)) {
      setProblem('A topic is a name without spaces, such as chat or orders.created.');
      return;
    }
    if (joined.some((j) => j.topic === wanted)) {
      setProblem(`Already subscribed to ${wanted}.`);
      return;
    }
    if (joined.length >= MOST_TOPICS) {
      setProblem(`At most ${MOST_TOPICS} topics at once in one page: leave one first.`);
      return;
    }
    setJoined([...joined, { topic: wanted, queue: queue.trim() || null, live: true }]);
    setTopic('');
    setProblem(null);
  };

  return (
    <>
      <h1>Messaging</h1>
      <form class="join row" onSubmit={join}>
        <div class="field">
          <label for="topic">Topic</label>
          <input id="topic" type="text" value={topic} placeholder="chat" onInput={(e) => setTopic(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="queue">Queue group <span class="muted">(optional)</span></label>
          <input id="queue" type="text" value={queue} onInput={(e) => setQueue(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="name">Your name</label>
          <input id="name" type="text" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </div>
        <button type="submit">Subscribe</button>
      </form>
      {problem && <p class="error" role="alert">{problem}</p>}
      {joined.length === 0 && (
        <div class="empty">
          Subscribe to a topic to see its messages live and publish to it. Open this page on
          another node's gateway and subscribe to the same topic to chat across the network.
        </div>
      )}
      <div class="conversations">
        {joined.map((j) => (
          <Conversation key={j.topic} topic={j.topic} queue={j.queue} name={name} live={j.live}
            onResume={() => setJoined(joined.map((k) => (k.topic === j.topic ? { ...k, live: true } : k)))}
            onLeave={() => setJoined(joined.filter((k) => k.topic !== j.topic))} />
        ))}
      </div>
    </>
  );
}
