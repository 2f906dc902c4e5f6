/* The device check: camera picture, microphone level and a test sound, all in
 * this browser. Nothing is sent anywhere: the streams go to a <video> and an
 * analyser on this page and are stopped when the check stops or the page goes.
 * The words come from the page (data-text-*), so the script has no language.
 * The microphone "works" only once it has picked up a level clearly above the
 * room's own hiss (measured in the first half second), and the camera and
 * microphone can be chosen among those the browser lists (names only after
 * the browser has been allowed to use them). */
(function () {
  "use strict";

  var root = document.querySelector("[data-device-check]");
  if (!root) { return; }

  var video = root.querySelector("[data-camera-preview]");
  var meter = root.querySelector("[data-mic-level]");
  var startButton = root.querySelector("[data-devices-start]");
  var stopButton = root.querySelector("[data-devices-stop]");
  var playButton = root.querySelector("[data-sound-play]");
  var answer = root.querySelector("[data-sound-answer]");
  var help = root.querySelector("[data-devices-help]");
  var choices = root.querySelectorAll("[data-device-choice]");
  var chosen = { videoinput: "", audioinput: "" };

  var streams = [];
  var audio = null;       // one AudioContext, made on a click (autoplay rules)
  var levelTimer = 0;
  var silenceTimer = 0;
  var LEVEL_HEARD = 4;    // on the meter's 0-100 scale: above room hiss
  var SILENCE_MS = 10000;
  var BASELINE_MS = 500;  // the quietest level of this first half second is the room's hiss

  function text(key) { return root.getAttribute("data-text-" + key) || ""; }

  function setStatus(name, status, reason) {
    var el = document.getElementById(name + "-status");
    el.setAttribute("data-status", status);
    el.querySelector("[data-status-text]").textContent = text(status);
    document.getElementById(name + "-reason").textContent = reason ? text(reason) : "";
    help.hidden = !root.querySelector('.device-status[data-status="fail"]');
    keepResult(name, status);
  }

  /* The outcome only (ok / fail), into the save form's hidden fields when the
   * page has one (a room's console, an administrator): the person sends it. */
  function keepResult(name, status) {
    var field = root.querySelector('[data-result="' + name + '"]');
    var save = root.querySelector("[data-devices-save]");
    if (!field || !save) { return; }
    if (status === "ok" || status === "fail") { field.value = status; }
    var tested = Array.prototype.some.call(root.querySelectorAll("[data-result]"), function (input) {
      return input.value !== "untested";
    });
    save.disabled = !tested;
    var hint = root.querySelector("[data-save-hint]");
    if (hint) { hint.hidden = tested; }
  }

  function audioContext() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) { return null; }
    if (!audio) { audio = new Ctx(); }
    if (audio.state === "suspended") { audio.resume(); }
    return audio;
  }

  function reasonOf(error) {
    var name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") { return "denied"; }
    return "missing";
  }

  function checkCamera() {
    setStatus("camera", "testing");
    return navigator.mediaDevices.getUserMedia({ video: wanted("videoinput") }).then(function (stream) {
      streams.push(stream);
      video.srcObject = stream;
      video.addEventListener("playing", function () {
        if (video.videoWidth > 0) { setStatus("camera", "ok"); }
      }, { once: true });
      stream.getVideoTracks()[0].addEventListener("ended", function () {
        setStatus("camera", "fail", "missing");
      });
      return video.play();
    }).catch(function (error) {
      setStatus("camera", "fail", reasonOf(error));
    });
  }

  function checkMicrophone(ctx) {
    setStatus("microphone", "testing");
    return navigator.mediaDevices.getUserMedia({ audio: wanted("audioinput") }).then(function (stream) {
      streams.push(stream);
      if (!ctx) { setStatus("microphone", "fail", "no-audio"); return; }
      var analyser = ctx.createAnalyser();
      analyser.fftSize = 1024;
      ctx.createMediaStreamSource(stream).connect(analyser);
      var samples = new Uint8Array(analyser.fftSize);
      var heard = false;
      var began = Date.now();
      var floor = 100;
      levelTimer = setInterval(function () {
        analyser.getByteTimeDomainData(samples);
        var sum = 0;
        for (var i = 0; i < samples.length; i++) {
          var v = (samples[i] - 128) / 128;
          sum += v * v;
        }
        var level = Math.min(100, Math.round(Math.sqrt(sum / samples.length) * 300));
        meter.value = level;
        meter.textContent = String(level);
        // The baseline waits for sound: a stream that starts with silence (no
        // samples yet) would give a floor of 0, and room hiss would count as a voice.
        if (level === 0 && floor === 100) { began = Date.now(); return; }
        if (Date.now() - began < BASELINE_MS) { floor = Math.min(floor, level); return; }
        // Hiss that never changes is not a voice: the level must rise above it.
        if (level >= Math.max(LEVEL_HEARD, floor + LEVEL_HEARD) && !heard) {
          heard = true;
          clearTimeout(silenceTimer);
          setStatus("microphone", "ok");
        }
      }, 100);
      silenceTimer = setTimeout(function () {
        if (!heard) { setStatus("microphone", "fail", "silent"); }
      }, SILENCE_MS);
    }).catch(function (error) {
      setStatus("microphone", "fail", reasonOf(error));
    });
  }

  /* What getUserMedia is asked for: the chosen device, or the browser's default. */
  function wanted(kind) {
    return chosen[kind] ? { deviceId: { exact: chosen[kind] } } : true;
  }

  /* Fill the camera and microphone lists; the device in use is the one shown. */
  function listDevices() {
    if (!navigator.mediaDevices.enumerateDevices) { return Promise.resolve(); }
    return navigator.mediaDevices.enumerateDevices().then(function (devices) {
      var inUse = {};
      streams.forEach(function (stream) {
        stream.getTracks().forEach(function (track) {
          var settings = track.getSettings ? track.getSettings() : {};
          inUse[track.kind === "video" ? "videoinput" : "audioinput"] = settings.deviceId || "";
        });
      });
      Array.prototype.forEach.call(choices, function (select) {
        var kind = select.getAttribute("data-device-choice");
        while (select.options.length > 1) { select.remove(1); }
        var n = 0;
        devices.forEach(function (device) {
          if (device.kind !== kind || !device.deviceId) { return; }
          n += 1;
          var label = device.label || text("device-n").replace("[n]", String(n));
          select.add(new Option(label, device.deviceId));
        });
        select.value = chosen[kind] || inUse[kind] || "";
        if (select.selectedIndex < 0) { select.value = ""; }
        select.disabled = n === 0;
      });
    }).catch(function () { /* no list: the default devices still work */ });
  }

  Array.prototype.forEach.call(choices, function (select) {
    select.addEventListener("change", function () {
      chosen[select.getAttribute("data-device-choice")] = select.value;
      // A new choice is tested at once, from the start.
      if (!stopButton.disabled) { startButton.disabled = false; startButton.click(); }
    });
  });

  function stop() {
    streams.forEach(function (stream) {
      stream.getTracks().forEach(function (track) { track.stop(); });
    });
    streams = [];
    clearInterval(levelTimer);
    clearTimeout(silenceTimer);
    video.srcObject = null;
    meter.value = 0;
    meter.textContent = "0";
    startButton.disabled = false;
    stopButton.disabled = true;
  }

  startButton.addEventListener("click", function () {
    stop();
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      setStatus("camera", "fail", "unsupported");
      setStatus("microphone", "fail", "unsupported");
      return;
    }
    startButton.disabled = true;
    stopButton.disabled = false;
    var ctx = audioContext();
    // One after the other, so a failing camera does not hide a working microphone.
    checkCamera().then(function () { return checkMicrophone(ctx); }).then(listDevices);
  });

  stopButton.addEventListener("click", stop);
  window.addEventListener("pagehide", stop);

  playButton.addEventListener("click", function () {
    var ctx = audioContext();
    if (!ctx) { setStatus("sound", "fail", "no-audio"); return; }
    setStatus("sound", "testing");
    var now = ctx.currentTime;
    var tone = ctx.createOscillator();
    var gain = ctx.createGain();
    tone.type = "sine";
    tone.frequency.setValueAtTime(660, now);
    tone.frequency.setValueAtTime(880, now + 0.4);
    gain.gain.setValueAtTime(0.0001, now);
    gain.gain.exponentialRampToValueAtTime(0.3, now + 0.05);
    gain.gain.setValueAtTime(0.3, now + 0.75);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.8);
    tone.connect(gain).connect(ctx.destination);
    tone.start(now);
    tone.stop(now + 0.85);
    answer.hidden = false;
  });

  answer.addEventListener("click", function (evt) {
    var button = evt.target.closest("[data-sound-heard]");
    if (!button) { return; }
    if (button.getAttribute("data-sound-heard") === "yes") {
      setStatus("sound", "ok");
    } else {
      setStatus("sound", "fail", "not-heard");
    }
  });
})();
