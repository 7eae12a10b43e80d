// The phone's camera. On Android and iOS the camera belongs to the webview, so while the core
// shows a camera screen that asks for it (`view.camera.webview`), this opens it and sends JPEG
// frames to the core, which analyses them as it would any camera's. Frames live only in memory
// and the camera is closed as soon as the camera screen goes.

// At most one frame on its way to the core; the core drops any that come faster than it takes.
const FRAME_MS = 125;
const JPEG_QUALITY = 0.85;

let run = null;

// Called with every view: starts, keeps or stops the camera to match it.
export function follow(view, invoke) {
  const ask = view.camera && view.camera.webview;
  const key = ask ? JSON.stringify(view.camera.task) : null;
  if (run && run.key === key) return;
  stop();
  if (ask) start(key, ask.facing, ask.frames, invoke);
}

function stop() {
  if (!run) return;
  clearInterval(run.timer);
  if (run.stream) run.stream.getTracks().forEach((t) => t.stop());
  if (run.video) run.video.remove();
  run = null;
}

// What getUserMedia's refusal means for the customer, in the core's words.
function reasonOf(e) {
  const name = e && e.name;
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'permission_denied';
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'no_camera';
  return 'camera_failed';
}

// The frame's JPEG as the core asked for it: the bytes themselves, or where the IPC has no raw
// bodies (Android, which would make a JSON array of numbers of them) base64 in a string.
async function body(blob, frames) {
  if (frames !== 'base64') return new Uint8Array(await blob.arrayBuffer());
  const url = await new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
  return { jpeg: url.slice(url.indexOf(',') + 1) };
}

async function start(key, facing, frames, invoke) {
  const me = { key, stream: null, video: null, timer: null, sending: false };
  run = me;
  try {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      throw Object.assign(new Error('no getUserMedia'), { name: 'NotFoundError' });
    }
    me.stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: facing, width: { ideal: 1280 }, height: { ideal: 720 } },
    });
  } catch (e) {
    if (run === me) invoke('camera_unavailable', { reason: reasonOf(e) }).catch(() => {});
    return;
  }
  if (run !== me) {
    me.stream.getTracks().forEach((t) => t.stop());
    return;
  }
  // WebKit paints a camera's frames only into a video element that is in the page.
  const video = document.createElement('video');
  video.className = 'webcam-source';
  video.muted = true;
  video.playsInline = true;
  video.setAttribute('aria-hidden', 'true');
  video.srcObject = me.stream;
  document.body.append(video);
  me.video = video;
  try {
    await video.play();
  } catch (e) {
    if (run === me) invoke('camera_unavailable', { reason: 'camera_failed' }).catch(() => {});
    return;
  }
  // The camera screen may have gone while the video started.
  if (run !== me) return;
  const canvas = document.createElement('canvas');
  me.timer = setInterval(() => {
    if (me.sending || run !== me || !video.videoWidth) return;
    me.sending = true;
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext('2d').drawImage(video, 0, 0);
    canvas.toBlob(async (blob) => {
      try {
        if (blob && run === me) await invoke('camera_frame', await body(blob, frames));
      } catch (_) {
        // A refused frame changes nothing; the next one may do.
      } finally {
        me.sending = false;
      }
    }, 'image/jpeg', JPEG_QUALITY);
  }, FRAME_MS);
}
